"""The directory the gateway owns: accounts and units (``accounts``), signing in and the
principal of a call (``sessions``), password hashing and tokens (``auth``), and the roster
import (``roster``). Framework-free; the HTTP part (``gateway/service.py``) calls these."""
from . import auth, roster
from .accounts import (MIN_PASSWORD, change_password, create_unit, create_user, ensure_admin,
                       list_units, list_users, one_time_password, password_problem,
                       republish_people_if_stale, reset_password, unit_name_taken, update_unit, update_user)
from .sessions import (ADDRESS_FAILURE_LIMIT, GLOBAL_FAILURE_LIMIT, LOGIN_FAILURE_LIMIT,
                       LOGIN_FAILURE_WINDOW, TooManyAttempts, authenticate, callers, close_session, login,
                       open_session, principal_for_session, principal_for_token, search_people,
                       secret_key, session_for, token_for)

__all__ = ["ADDRESS_FAILURE_LIMIT", "GLOBAL_FAILURE_LIMIT", "LOGIN_FAILURE_LIMIT",
           "LOGIN_FAILURE_WINDOW", "MIN_PASSWORD", "TooManyAttempts", "auth", "authenticate",
           "callers",
           "change_password", "close_session", "create_unit", "create_user", "ensure_admin",
           "list_units", "list_users", "login", "one_time_password", "open_session", "session_for", "token_for",
           "password_problem", "principal_for_session", "principal_for_token",
           "republish_people_if_stale",
           "reset_password", "roster", "search_people", "secret_key", "unit_name_taken",
           "update_unit",
           "update_user"]
