-- One database per service: no service reads another's tables (docs/architecture.md).
CREATE DATABASE intake;
CREATE DATABASE review;
CREATE DATABASE scoring;
CREATE DATABASE notify;
CREATE DATABASE gateway;
