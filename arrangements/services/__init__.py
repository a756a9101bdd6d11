"""Writes to arrangements, by subject: `lifecycle` (propose and move through the states), `terms` (terms of
reference and signing), `programme` (workstreams, milestones, inputs), `reviews`, and `call_offs` (inviting
framework pool members). `common` holds what they share. Callers import the services from here."""

from arrangements.services.call_offs import (
    CallOffAlreadyOpen,
    call_off_cancel,
    call_off_chase,
    call_off_create,
    call_off_find,
    call_off_go_ahead,
    call_off_invite_more,
    call_off_open_for,
    call_off_record_answer,
    call_off_respond_supported,
    call_off_set_reply_by,
    call_off_start,
    invitation_respond,
    invitation_withdraw,
)
from arrangements.services.common import (
    TRANSITIONS,
    ArrangementError,
    BuddySpec,
    Transition,
    allowed_actions,
    capacity_recount,
)
from arrangements.services.lifecycle import (
    arrangement_agree,
    arrangement_complete,
    arrangement_decline,
    arrangement_pause,
    arrangement_propose,
    arrangement_resume,
    arrangement_terminate,
)
from arrangements.services.programme import input_record, milestone_add, milestone_update, workstream_add
from arrangements.services.reviews import review_record
from arrangements.services.terms import TERMS_FIELDS, missing_signatures, required_signatories, terms_draft, terms_sign

__all__ = [
    "TERMS_FIELDS",
    "TRANSITIONS",
    "ArrangementError",
    "BuddySpec",
    "CallOffAlreadyOpen",
    "Transition",
    "allowed_actions",
    "arrangement_agree",
    "arrangement_complete",
    "arrangement_decline",
    "arrangement_pause",
    "arrangement_propose",
    "arrangement_resume",
    "arrangement_terminate",
    "call_off_cancel",
    "call_off_chase",
    "call_off_create",
    "call_off_find",
    "call_off_go_ahead",
    "call_off_invite_more",
    "call_off_open_for",
    "call_off_record_answer",
    "call_off_respond_supported",
    "call_off_set_reply_by",
    "call_off_start",
    "capacity_recount",
    "input_record",
    "invitation_respond",
    "invitation_withdraw",
    "milestone_add",
    "milestone_update",
    "missing_signatures",
    "required_signatories",
    "review_record",
    "terms_draft",
    "terms_sign",
    "workstream_add",
]
