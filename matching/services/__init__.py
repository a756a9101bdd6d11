"""Writes of the matching app: `runs` (the engine's runs, recorded), `pool` (the framework and its pool) and
`results` (the JSON each run stores). Callers import the services from here."""

from matching.services.pool import (
    PoolError,
    capacity_update,
    framework_advance,
    framework_create,
    pool_application_accredit,
    pool_application_decline,
    pool_application_submit,
    pool_membership_reinstate,
    pool_membership_suspend,
    pool_membership_withdraw,
    pool_membership_wording,
    veto_add,
)
from matching.services.results import shortlist_json
from matching.services.runs import (
    WAVE_METHODS,
    fit_check,
    match_settings_build,
    shortlist_run,
    team_run,
    wave_run_create,
    wave_run_execute,
    wave_run_restart,
)

__all__ = [
    "WAVE_METHODS",
    "PoolError",
    "capacity_update",
    "fit_check",
    "framework_advance",
    "framework_create",
    "match_settings_build",
    "pool_application_accredit",
    "pool_application_decline",
    "pool_application_submit",
    "pool_membership_reinstate",
    "pool_membership_suspend",
    "pool_membership_withdraw",
    "pool_membership_wording",
    "shortlist_json",
    "shortlist_run",
    "team_run",
    "veto_add",
    "wave_run_create",
    "wave_run_execute",
    "wave_run_restart",
]
