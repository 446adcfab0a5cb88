"""See every reliability mechanism's test fail when the mechanism is taken out.

For each row below: copy the tree to a scratch directory, make one exact change that
removes the mechanism, run the tests that claim it (with this checkout's .venv), and
expect each of them to fail. A row whose tests still pass is a test that cannot fail.

Not part of `make test` (a row takes from seconds to a minute, the whole table about
ten minutes): run `make breakages`, or `.venv/bin/python tools/breakages.py [--list] [ROW ...]`
for some rows by number or by a word of their name. It needs RabbitMQ and PostgreSQL as
`make test` does, and must not run beside another suite (one row restarts the broker).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = os.path.join(ROOT, ".venv", "bin", "python")
SKIP = shutil.ignore_patterns(".venv", "node_modules", ".git", "var", "__pycache__",
                              ".pytest_cache", "dist", "screenshots")


@dataclass
class Breakage:
    mechanism: str
    path: str
    old: str  # must occur exactly once in ``path``
    new: str
    tests: tuple  # pytest node ids; each must fail
    more: tuple = ()  # further (path, old, new) edits, when a mechanism has two parts

    def edits(self) -> list:
        return [(self.path, self.old, self.new), *self.more]


PG = "[postgresql]"
BOTH = ""  # a node id without a parameter runs on both databases

BREAKAGES = [
    Breakage(
        "an event is written in the same transaction as the change (outbox)",
        "minyi_common/db.py",
        "        self.execute(insert(self.db.outbox), self.outbox_row(event))",
        "        with self.db.engine.begin() as separate:\n"
        "            separate.execute(insert(self.db.outbox), self.outbox_row(event))",
        ("minyi_common/tests/test_db.py::"
         "test_a_rolled_back_unit_of_work_leaves_no_event_and_no_claim" + PG,)),
    Breakage(
        "every process declares the whole topology before it publishes",
        "minyi_common/serve.py",
        "    ensure_topology(settings.amqp_uri, settings.namespace, settings.retry_delays)\n",
        "    pass\n",
        ("tests/test_crash_recovery.py::"
         "test_events_committed_before_a_crash_are_published_on_restart" + PG,),
        # Declared at start (serve), by the relay before it publishes and by each event
        # consumer as it is set up: all three go.
        more=(("minyi_common/nameko_glue.py",
               "        if self.relay_outbox:\n            ensure_topology(",
               "        if False:\n            ensure_topology("),
              ("minyi_common/nameko_glue.py",
               "        ensure_topology(settings.amqp_uri, settings.namespace, "
               "settings.retry_delays)\n        self.publisher = ConfirmingPublisher",
               "        self.publisher = ConfirmingPublisher"))),
    Breakage(
        "consumers apply an event id once (processed_events)",
        "minyi_common/db.py",
        "            if key in fresh:\n",
        "            if True:\n",
        ("minyi_common/tests/test_reliable_consumer.py::"
         "test_duplicates_count_once_and_a_killed_consumer_loses_nothing",
         "services/notify/tests/test_notify_service.py::"
         "test_a_duplicated_event_gives_one_inbox_item_and_one_email" + PG,
         "tests/test_crash_recovery.py::"
         "test_a_consumer_killed_mid_stream_loses_nothing_and_counts_once" + PG)),
    Breakage(
        "the relay claims rows under a lease and republishes a dead relay's rows",
        "minyi_common/db.py",
        ".values(claimed_until=now + self.lease))",
        ".values(published_at=now))",
        ("tests/test_crash_recovery.py::"
         "test_a_relay_that_dies_mid_batch_republishes_rather_than_loses" + PG,)),
    Breakage(
        "events committed before a crash are published after it (broken: a relay that "
        "publishes only what was committed in the last second)",
        "minyi_common/db.py",
        "(outbox.c.claimed_until.is_(None)) | (outbox.c.claimed_until < now))",
        "(outbox.c.claimed_until.is_(None)) | (outbox.c.claimed_until < now),\n"
        "                        outbox.c.created_at > now - timedelta(seconds=1))",
        ("tests/test_crash_recovery.py::"
         "test_events_committed_before_a_crash_are_published_on_restart" + PG,)),
    Breakage(
        "several instances' relays share the outbox (FOR UPDATE SKIP LOCKED)",
        "minyi_common/db.py",
        "            query = query.with_for_update(skip_locked=True)\n"
        "        with self.db.unit_of_work() as uow:\n"
        "            rows = uow.execute(query).all()",
        "            pass\n"
        "        with self.db.unit_of_work() as uow:\n"
        "            rows = uow.execute(query).all()",
        ("tests/test_crash_recovery.py::"
         "test_relays_of_several_instances_publish_each_event_once" + PG,)),
    Breakage(
        "an event the broker returns (no queue bound) stays in the outbox",
        "minyi_common/db.py",
        '                return row.id, "returned"\n',
        '                return row.id, "published"\n',
        ("tests/test_crash_recovery.py::"
         "test_an_event_the_broker_returns_stays_in_the_outbox" + PG,)),
    Breakage(
        "events for one report are applied one at a time across instances (advisory "
        "locks on PostgreSQL)",
        "minyi_common/db.py",
        "    if uow.db.is_sqlite:\n        return\n    function =",
        "    if True:\n        return\n    function =",
        ("services/scoring/tests/test_races.py::"
         "test_outcomes_recorded_at_the_same_moment_all_count" + PG,
         "services/intake/tests/test_races.py::"
         "test_outcome_events_at_one_moment_all_reach_the_author" + PG)),
    Breakage(
        "review changes a case under its row lock (outcomes, intake's events, decisions)",
        "services/review/handlers.py",
        "row = uow.execute(query.with_for_update() if for_update else query).first()",
        "row = uow.execute(query).first()",
        ("services/review/tests/test_races.py::"
         "test_outcomes_recorded_at_the_same_moment_both_succeed" + PG,
         "services/review/tests/test_races.py::"
         "test_a_withdrawal_racing_a_decision_never_overwrites_it" + PG)),
    Breakage(
        "a failing handler is retried with delays before it is parked",
        "minyi_common/nameko_glue.py",
        "if attempt < self.settings.max_attempts:",
        "if False:",
        ("minyi_common/tests/test_reliable_consumer.py::"
         "test_a_failing_handler_retries_with_delay_then_dead_letters",)),
    Breakage(
        "a handler that keeps failing is parked in the DLQ (no hot loop)",
        "minyi_common/nameko_glue.py",
        "if attempt < self.settings.max_attempts:",
        "if True:",
        ("minyi_common/tests/test_reliable_consumer.py::"
         "test_a_failing_handler_retries_with_delay_then_dead_letters",)),
    Breakage(
        "an event that breaks its contract is parked at once",
        "minyi_common/nameko_glue.py",
        "            event = parse_event(body)\n",
        "            event = body\n",
        ("minyi_common/tests/test_reliable_consumer.py::"
         "test_an_event_that_breaks_its_contract_is_parked_at_once_and_the_cli_shows_it",)),
    Breakage(
        "`make dlq-replay` puts parked events back with fresh attempts",
        "minyi_common/dlq.py",
        "                    headers[ATTEMPT_HEADER] = 0\n",
        "                    headers[ATTEMPT_HEADER] = 99\n",
        ("minyi_common/tests/test_reliable_consumer.py::"
         "test_a_failing_handler_retries_with_delay_then_dead_letters",)),
    Breakage(
        "a database outage costs an event no attempts",
        "minyi_common/nameko_glue.py",
        'if what_is_away(exc_info[1]) == "the database" and',
        'if False and what_is_away(exc_info[1]) == "the database" and',
        ("minyi_common/tests/test_reliable_consumer.py::"
         "test_an_outage_costs_an_event_no_attempts_and_never_dead_letters_it",)),
    Breakage(
        "a request taken up after its deadline is refused, not run (the service's check)",
        "minyi_common/nameko_glue.py",
        "if deadline is not None and time.time() > float(deadline):",
        "if False:",
        ("minyi_common/tests/test_rpc_deadline.py::"
         "test_a_request_taken_up_after_its_deadline_is_refused_not_run",)),
    Breakage(
        "a request its caller gave up on is not run later (the broker's expiry and the "
        "service's check, both removed)",
        "minyi_common/nameko_glue.py",
        "if deadline is not None and time.time() > float(deadline):",
        "if False:",
        ("minyi_common/tests/test_rpc_deadline.py::"
         "test_a_command_given_up_on_never_runs_later",),
        more=(("minyi_common/nameko_glue.py",
               "            method.publisher.expiration = self._timeout\n",
               "            method.publisher.expiration = None\n"),)),
    Breakage(
        "the gateway answers 503 when a service passes its deadline",
        "minyi_common/nameko_glue.py",
        "            timer = eventlet.Timeout(self._timeout)\n",
        "            timer = eventlet.Timeout(None)\n",
        ("gateway/tests/test_gateway.py::test_a_service_that_does_not_answer_in_time_gives_503",)),
    Breakage(
        "an answer meeting a lost broker does not kill the container",
        "minyi_common/nameko_glue.py",
        "handle_result(message, result, exc_info)\n        except CONNECTION_ERRORS as exc:",
        "handle_result(message, result, exc_info)\n        except ZeroDivisionError as exc:",
        ("tests/test_survive_faults.py::"
         "test_a_broker_restart_mid_burst_costs_seconds_not_an_outage",)),
    Breakage(
        "an ack or requeue meeting a lost broker does not kill the container (the "
        "gateway's reply listener acks every answer)",
        "minyi_common/nameko_glue.py",
        "QueueConsumer.ack_message = _settling(QueueConsumer.ack_message)\n"
        "QueueConsumer.requeue_message = _settling(QueueConsumer.requeue_message)\n",
        "",
        ("minyi_common/tests/test_outages.py::"
         "test_settling_a_message_on_a_socket_the_broker_closed_does_not_raise",)),
    Breakage(
        "a service whose database is away answers 503, not 500",
        "minyi_common/nameko_glue.py",
        'if exc_info is not None and what_is_away(exc_info[1]) == "the database":',
        "if False:",
        ("tests/test_survive_faults.py::"
         "test_a_database_restart_mid_burst_costs_seconds_not_an_outage",)),
    Breakage(
        "the gateway whose own database is away answers 503, not 500",
        "gateway/http.py",
        '    if what_is_away(exc) == "the database":',
        "    if False:",
        ("tests/test_survive_faults.py::"
         "test_a_database_restart_mid_burst_costs_seconds_not_an_outage",)),
    Breakage(
        "a retried submission is answered as the first was, marked as a replay",
        "gateway/service.py",
        'replayed = {} if answer["created"] else {"Idempotent-Replayed": "true"}',
        "replayed = {}",
        ("tests/test_api_contract.py::test_idempotency_keys_over_http" + PG,)),
    Breakage(
        "one report per Idempotency-Key, even for two retries at once",
        "services/intake/adapters/repository.py",
        "conflict_insert(self.uow.db, idempotency_keys).on_conflict_do_nothing()",
        "conflict_insert(self.uow.db, idempotency_keys)",
        ("services/intake/tests/test_intake_service.py::"
         "test_two_retries_with_one_key_at_once_make_one_report" + PG,)),
    Breakage(
        "of two editors deciding at once, one wins (version check)",
        "services/review/handlers.py",
        'cases.c.report_id == case["report_id"], cases.c.version == case["version"])',
        'cases.c.report_id == case["report_id"])',
        ("services/review/tests/test_review_service.py::"
         "test_concurrent_decisions_leave_exactly_one" + PG,
         "tests/test_review_workflow.py::"
         "test_two_editors_deciding_at_once_leave_exactly_one_decision" + PG)),
    Breakage(
        "two notify instances send each email or webhook once (delivery leases)",
        "services/notify/delivery.py",
        "        query = query.with_for_update(skip_locked=True)\n"
        "    with db.unit_of_work() as uow:\n"
        "        rows = [dict(r._mapping) for r in uow.execute(query)]",
        "        pass\n"
        "    with db.unit_of_work() as uow:\n"
        "        rows = [dict(r._mapping) for r in uow.execute(query)]",
        ("services/notify/tests/test_delivery_leases.py::"
         "test_two_senders_send_each_delivery_once" + PG,)),
    Breakage(
        "an email or webhook held by a killed sender goes out once its lease runs out",
        "services/notify/delivery.py",
        'and_(deliveries.c.status == "sending", deliveries.c.locked_until < now))',
        'and_(deliveries.c.status == "sending", deliveries.c.locked_until < now, False))',
        ("services/notify/tests/test_delivery_leases.py::"
         "test_a_stale_sender_cannot_overwrite_a_newer_claim" + PG,)),
    Breakage(
        "a late sender cannot record over a newer claim (the claim's fence)",
        "services/notify/delivery.py",
        "                                             deliveries.c.locked_until == "
        'row["locked_until"])\n',
        "                                             )\n",
        ("services/notify/tests/test_delivery_leases.py::"
         "test_a_stale_sender_cannot_overwrite_a_newer_claim" + PG,)),
    Breakage(
        "a webhook into the deployment's own network is refused when it is added (SSRF)",
        "services/notify/handlers.py",
        "            addresses.check(url, allow_private)\n",
        "            pass\n",
        ("services/notify/tests/test_notify_service.py::"
         "test_a_webhook_into_the_deployments_own_network_is_refused" + PG,)),
    Breakage(
        "a webhook's address is checked again before each delivery (DNS rebinding)",
        "services/notify/handlers.py",
        '            address = addresses.check(row["target"], allow_private)\n',
        "            address = None\n",
        ("services/notify/tests/test_notify_service.py::"
         "test_a_webhook_address_is_checked_again_before_each_delivery" + PG,)),
    Breakage(
        "a webhook receiver cannot redirect a delivery elsewhere",
        "services/notify/adapters/senders.py",
        "                               allow_redirects=False)",
        "                               allow_redirects=True)",
        ("services/notify/tests/test_notify_service.py::"
         "test_a_webhook_receiver_cannot_redirect_a_delivery" + PG,)),
    Breakage(
        "failed logins are counted by username and address: failing against admin from "
        "elsewhere does not lock the admin out",
        "gateway/directory.py",
        "LOGIN_FAILURE_LIMIT, from_here, login_failures.c.username == username)),",
        "LOGIN_FAILURE_LIMIT, login_failures.c.username == username)),",
        ("gateway/tests/test_login_limits.py::"
         "test_someone_failing_against_admin_elsewhere_does_not_lock_the_admin_out" + PG,)),
    Breakage(
        "failed logins are counted by address (made-up usernames)",
        "gateway/directory.py",
        "                oldest_if_over(ADDRESS_FAILURE_LIMIT, failed_here)]",
        "                None]",
        ("gateway/tests/test_login_limits.py::"
         "test_made_up_usernames_from_one_address_are_throttled" + PG,)),
    Breakage(
        "the ceiling on failed logins in all spares an address that did not fail",
        "gateway/directory.py",
        "    if failed_here:\n",
        "    if True:\n",
        ("gateway/tests/test_login_limits.py::"
         "test_a_flood_from_everywhere_stops_those_that_failed_not_the_others" + PG,)),
    Breakage(
        "the ceiling on failed logins in all exists",
        "gateway/directory.py",
        "        blocking.append(oldest_if_over(GLOBAL_FAILURE_LIMIT, "
        "latest(GLOBAL_FAILURE_LIMIT)))",
        "        pass",
        ("gateway/tests/test_login_limits.py::"
         "test_a_flood_from_everywhere_stops_those_that_failed_not_the_others" + PG,)),
    Breakage(
        "one address's login attempts are counted one at a time",
        "gateway/directory.py",
        '        lock(uow, f"gateway:login:{address}")',
        "        pass",
        ("gateway/tests/test_login_limits.py::"
         "test_a_burst_from_one_address_cannot_slip_past_its_count" + PG,)),
    Breakage(
        "email turns to TLS (STARTTLS) when the server offers it, before anything is sent",
        "services/notify/adapters/senders.py",
        '                if client.has_extn("starttls"):',
        "                if False:",
        ("services/notify/tests/test_senders.py::"
         "test_email_goes_over_starttls_when_the_server_offers_it_and_the_certificate_is_"
         "checked",)),
    Breakage(
        "a flood of /readyz costs the services one probe every 2 s (a shared recent answer)",
        "gateway/recent.py",
        "            if found is not None and found[0] > time.monotonic():",
        "            if False:",
        ("gateway/tests/test_gateway.py::"
         "test_a_flood_of_readiness_probes_costs_the_services_one_ping_each" + PG,)),
    Breakage(
        "services believe only principals the gateway signed (anyone else with the "
        "broker's password is refused)",
        "minyi_common/schemas.py",
        "    principals.check(data)  # signed by the gateway, when the deployment has the key\n",
        "",
        ("minyi_common/tests/test_principals.py::"
         "test_every_call_with_a_principal_refuses_a_forged_one",
         "tests/test_directory_and_lists.py::"
         "test_a_process_with_the_brokers_password_cannot_call_a_service_as_an_admin" + PG)),
    Breakage(
        "a webhook's signature covers its time, so a captured delivery cannot be replayed "
        "later with a fresh time",
        "services/notify/adapters/senders.py",
        'f"{at}.".encode("ascii") + body, hashlib.sha256)',
        "body, hashlib.sha256)",
        ("services/notify/tests/test_senders.py::"
         "test_a_webhook_signature_covers_the_time_and_the_body_and_grows_old",)),
    Breakage(
        "the awards list does not name an author who did not consent to publication",
        "services/scoring/standings.py",
        '"author_id": r.author_id if r.consent_to_publish else None,',
        '"author_id": r.author_id,',
        ("services/scoring/tests/test_scoring.py::test_awards_for_a_biennial_cycle" + PG,)),
    Breakage(
        "a (re)started review rebuilds its similarity index",
        "services/review/service.py",
        "        self.container.spawn_managed_thread(lambda: until_done(",
        "        return\n        self.container.spawn_managed_thread(lambda: until_done(",
        ("services/review/tests/test_review_service.py::"
         "test_a_started_review_catches_its_similarity_index_up_by_itself" + PG,)),
    Breakage(
        "a search for % or _ finds that text, not everything",
        "services/intake/adapters/repository.py",
        'column.contains(filters["q"], autoescape=True)',
        'column.like("%" + filters["q"] + "%")',
        ("tests/test_directory_and_lists.py::test_the_report_list_filters_and_pages" + PG,)),
    Breakage(
        "webhook secrets are kept encrypted (MINYI_DATA_KEY), not as the admin typed them",
        "services/notify/handlers.py",
        "uow.execute(insert(webhooks).values(**dict(hook, secret=box.seal(secret))))",
        "uow.execute(insert(webhooks).values(**hook))",
        ("services/notify/tests/test_notify_service.py::"
         "test_webhook_secrets_are_kept_sealed_and_a_lost_key_is_said_in_chinese" + PG,)),
    Breakage(
        "secrets stored in the clear before sealing are sealed when notify starts",
        "services/notify/service.py",
        "sealed = handlers.seal_stored_secrets(database, sealing.box_for(settings))",
        "sealed = 0",
        ("services/notify/tests/test_notify_service.py::"
         "test_secrets_kept_in_the_clear_are_sealed_before_the_service_starts" + PG,)),
    Breakage(
        "a webhook is sent to the address that was checked (DNS rebinding after the check)",
        "services/notify/adapters/senders.py",
        "            self._dns_host = self._pinned_address\n",
        "            pass\n",
        ("services/notify/tests/test_senders.py::test_a_webhook_goes_to_the_address_that_"
         "was_checked_not_to_what_the_name_says_now",)),
    Breakage(
        "an admin reads why a delivery failed in Chinese, not an exception's English",
        "services/notify/handlers.py",
        "raise delivery.Undeliverable(describe(exc)) from exc",
        "raise",
        ("services/notify/tests/test_notify_service.py::"
         "test_webhooks_are_signed_retried_then_failed_and_retried_by_hand" + PG,
         "services/notify/tests/test_notify_service.py::"
         "test_a_webhook_receiver_cannot_redirect_a_delivery" + PG)),
    Breakage(
        "password hashes wait their turn (half the cores), apart for addresses that failed",
        "gateway/auth.py",
        "with _SUSPECT_HASHING if suspect else _HASHING:",
        "if True:",
        ("gateway/tests/test_auth.py::"
         "test_hashes_wait_their_turn_and_a_suspect_address_has_a_lane_of_its_own",)),
    Breakage(
        "a lone surrogate in a body is a 400, not a 500 (no database can store it)",
        "gateway/http.py",
        '_UNSTORABLE = re.compile("[\\x00\\ud800-\\udfff]")',
        '_UNSTORABLE = re.compile("[\\x00]")',
        ("gateway/tests/test_accounts.py::test_hostile_strings_are_refused_cleanly_not_500" + PG,)),
    Breakage(
        "similar reports handled at one moment (two instances) still hint at each other",
        "services/review/handlers.py",
        '    lock(uow, "review:similarity")\n',
        "    pass\n",
        ("services/review/tests/test_races.py::"
         "test_similar_reports_handled_at_the_same_moment_are_hinted" + PG,)),
    Breakage(
        "a year's standings read each subject's year row, kept beside its quarters'",
        "services/scoring/domain.py",
        "for key in ((subject_kind, subject_id, quarter),\n"
        "                    (subject_kind, subject_id, quarter - quarter % 10)):",
        "for key in ((subject_kind, subject_id, quarter),):",
        ("services/scoring/tests/test_scoring.py::"
         "test_a_years_standings_add_up_its_quarters_whatever_the_period" + PG,)),
    Breakage(
        "a failed batch's events are handled again one by one: only the bad one retries",
        "minyi_common/nameko_glue.py",
        "            self._alone.extend(batch)\n",
        "            for _, message in batch:\n"
        "                self.handle_message_processed(message, result, exc_info)\n",
        ("minyi_common/tests/test_reliable_consumer.py::"
         "test_a_batch_applies_each_event_once_and_a_bad_event_fails_alone" + PG,)),
    Breakage(
        "an event twice in one batch is applied once",
        "minyi_common/db.py",
        "                fresh.discard(key)  # the same event twice in one batch: applied once\n",
        "",
        ("minyi_common/tests/test_db.py::"
         "test_a_batch_applies_each_new_event_once_or_nothing_at_all" + PG,)),
    Breakage(
        "review's similarity index forgets what a rolled-back batch had read",
        "services/review/handlers.py",
        '        uow.undo["similarity index"] = partial(index.undo_to, index.mark())\n',
        "",
        ("services/review/tests/test_races.py::"
         "test_a_batch_that_rolls_back_leaves_the_similarity_index_as_it_was" + PG,)),
    Breakage(
        "a relay with several confirms awaited marks each event it got out, whatever "
        "failed beside it",
        "minyi_common/db.py",
        '            except Exception as exc:\n'
        '                failures.append(exc)\n'
        '                return row.id, "unsent"\n',
        "",
        ("tests/test_crash_recovery.py::"
         "test_a_relay_publishing_several_at_once_marks_what_went_out_and_keeps_the_rest" + PG,)),
    Breakage(
        "a subject's figures move by the change (added to the row, or the row is made)",
        "services/scoring/handlers.py",
        "set_={f: getattr(quarter_totals.c, f) + getattr(statement.excluded, f)",
        "set_={f: getattr(statement.excluded, f)",
        ("services/scoring/tests/test_scoring.py::"
         "test_points_changed_tells_each_person_their_new_quarter_total" + PG,)),
    Breakage(
        "a batch's events are applied in the order of their reports (batches never deadlock)",
        "minyi_common/db.py",
        '    events = sorted(events, key=lambda each: each.get("report_id") or "")\n',
        "",
        ("minyi_common/tests/test_db.py::"
         "test_a_batch_comes_to_its_handlers_in_the_order_of_its_reports" + PG,
         "minyi_common/tests/test_db.py::"
         "test_a_batch_comes_to_its_handlers_in_the_order_of_its_reports[sqlite]")),
    Breakage(
        "a stop asked while a service starts waits for the start (nameko hung otherwise)",
        "minyi_common/serve.py",
        "        eventlet.spawn_n(stop_once_started)\n",
        "        eventlet.spawn_n(runner.stop)\n",
        ("tests/test_startup_errors.py::"
         "test_sigterm_during_the_start_waits_for_it_then_stops_cleanly",)),
    Breakage(
        "a batch's report locks are taken in one statement, and each is held",
        "minyi_common/db.py",
        '"ORDER BY n"), {"keys": wanted})',
        '"WHERE false ORDER BY n"), {"keys": wanted})',
        ("minyi_common/tests/test_db.py::"
         "test_a_batch_takes_its_reports_locks_in_one_statement_and_holds_each" + PG,)),
    Breakage(
        "each event of a scoring batch sees its record as the batch's earlier events left it",
        "services/scoring/handlers.py",
        '        records[report["id"]] = row\n',
        "",
        ("services/scoring/tests/test_scoring.py::"
         "test_a_whole_story_in_one_batch_scores_as_one_event_at_a_time" + PG,)),
    Breakage(
        "a person is told the total after their report's move, not the batch's final one",
        "services/scoring/handlers.py",
        'running = {key: totals[key] - deltas[key]["points"] for key in deltas}',
        'running = {key: totals[key] for key in deltas}',
        ("services/scoring/tests/test_scoring.py::"
         "test_a_whole_story_in_one_batch_scores_as_one_event_at_a_time" + PG,)),
    Breakage(
        "a batch's later events on a report move the totals from what its earlier ones left",
        "services/scoring/handlers.py",
        "        self.figures[row.report_id] = after\n",
        "",
        ("services/scoring/tests/test_scoring.py::"
         "test_a_whole_story_in_one_batch_scores_as_one_event_at_a_time" + PG,)),
    Breakage(
        "a resubmission's hints replace those its submission got earlier in the same batch",
        "services/review/handlers.py",
        '    to_add.hints[report["id"]] = [\n',
        '    to_add.hints[report["id"] + str(len(to_add.hints))] = [\n',
        ("services/review/tests/test_races.py::"
         "test_a_batch_of_events_leaves_what_one_event_at_a_time_leaves" + PG,)),
    Breakage(
        "review's index stands where the similarity feed ends after a batch's docs",
        "services/review/handlers.py",
        "            index.last_seq = max(index.last_seq, *seqs)\n",
        "",
        ("services/review/tests/test_races.py::"
         "test_a_batch_of_events_leaves_what_one_event_at_a_time_leaves" + PG,)),
    Breakage(
        "notify reads the webhook subscriptions once for a batch of events",
        "services/notify/handlers.py",
        '        if "webhooks" not in uow.memo:  # read once for a batch of events\n',
        "        if True:\n",
        ("services/notify/tests/test_batches.py::"
         "test_a_batch_gives_each_event_its_webhook_deliveries_and_reads_the_hooks_once" + PG,)),
    Breakage(
        "a record a scoring batch creates is changed in memory by its later events, then stored",
        "services/scoring/handlers.py",
        '        if created or report["id"] in created_now:\n',
        "        if created:\n",
        ("services/scoring/tests/test_scoring.py::"
         "test_a_whole_story_in_one_batch_scores_as_one_event_at_a_time" + PG,)),
    Breakage(
        "the event that made a case in a review batch is not applied to it again",
        "services/review/handlers.py",
        '        created = event["event_id"] in uow.memo["cases made by"]\n',
        "        created = False\n",
        ("services/review/tests/test_races.py::"
         "test_a_batch_of_events_leaves_what_one_event_at_a_time_leaves" + PG,)),
    Breakage(
        "on PostgreSQL a new report's first history entry goes in with it, in one statement",
        "services/intake/adapters/repository.py",
        '    statement = select(report).add_cte(entry.cte("first_entry"))\n',
        "    statement = select(report)\n",
        ("services/intake/tests/test_intake_service.py::"
         "test_a_submitted_report_is_stored_and_its_event_published" + PG,)),
    Breakage(
        "on PostgreSQL a submitted report's event goes into the outbox in the same statement",
        "services/intake/adapters/repository.py",
        "    if with_event:\n",
        "    if with_event and False:\n",
        ("services/intake/tests/test_intake_service.py::"
         "test_a_submitted_report_is_stored_and_its_event_published" + PG,)),
]


def run_row(number: int, row: Breakage) -> tuple:
    scratch = tempfile.mkdtemp(prefix=f"minyi-break-{number}-")
    try:
        shutil.copytree(ROOT, scratch, ignore=SKIP, dirs_exist_ok=True)
        for path, old, new in row.edits():
            target = os.path.join(scratch, path)
            with open(target, encoding="utf-8") as source:
                text = source.read()
            if text.count(old) != 1:
                return "not applied", f"{path}: the text to break occurs " \
                                      f"{text.count(old)} times", 0
            with open(target, "w", encoding="utf-8") as source:
                source.write(text.replace(old, new))
        started = time.monotonic()
        run = subprocess.run([PYTHON, "-m", "pytest", "-q", "-rf", "-p", "no:cacheprovider",
                              "--durations=0", *row.tests], cwd=scratch,
                             capture_output=True, text=True, timeout=900)
        seconds = time.monotonic() - started
        failed = set(re.findall(r"^FAILED (\S+)", run.stdout, re.M)) | set(
            re.findall(r"^ERROR (\S+)", run.stdout, re.M))
        missed = [t for t in row.tests if not any(f.startswith(t) for f in failed)]
        if run.returncode in (4, 5):
            return "not run", run.stdout[-1500:] + run.stderr[-1500:], seconds
        if missed:
            return "STILL PASSES", "not caught by: " + ", ".join(missed), seconds
        return "failed, as it should", "; ".join(sorted(failed)), seconds
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rows", nargs="*", help="row numbers, or words of a mechanism")
    parser.add_argument("--list", action="store_true", help="print the table and stop")
    args = parser.parse_args(argv)
    chosen = [(n, row) for n, row in enumerate(BREAKAGES, 1)
              if not args.rows or str(n) in args.rows
              or any(word.lower() in row.mechanism.lower() for word in args.rows
                     if not word.isdigit())]
    if args.list:
        for n, row in chosen:
            print(f"{n:2}. {row.mechanism}")
            for path, old, new in row.edits():
                print(f"    {path}: {old.strip()!r} -> {new.strip()!r}")
            print("    " + "\n    ".join(row.tests))
        return 0
    outcomes = []
    for n, row in chosen:
        print(f"{n:2}. {row.mechanism} ...", flush=True)
        result, detail, seconds = run_row(n, row)
        outcomes.append((n, row, result))
        print(f"    {result} ({seconds:.0f} s): {detail[:600]}", flush=True)
    print("\n| # | mechanism | what was removed | tests | result |\n|---|---|---|---|---|")
    for n, row, result in outcomes:
        tests = "<br>".join(f"`{t.split('::')[-1]}`" for t in row.tests)
        removed = "<br>".join(f"`{path}`: `{old.strip().splitlines()[0][:60]}`"
                              for path, old, _ in row.edits()).replace("|", "\\|")
        print(f"| {n} | {row.mechanism} | {removed} | {tests} | {result} |")
    return 0 if all(r == "failed, as it should" for _, _, r in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
