"""Arrangement pages. Each view: fetch (permissions decide what exists), call a service, redirect.

By subject: `arrangement` (list, proposal, the arrangement's page, transitions, terms), `programme` (work
programme and reviews), `notifications`, and `call_offs`; `common` holds what they share."""

from arrangements.views.arrangement import (
    agree,
    arrangement_list,
    decline,
    detail,
    propose,
    terminate,
    terms_edit,
    terms_sign,
    transition,
)
from arrangements.views.call_offs import (
    call_off_cancel,
    call_off_chase,
    call_off_detail,
    call_off_go_ahead,
    call_off_invite,
    call_off_new,
    call_off_record_answer,
    call_off_reply_by,
    call_off_withdraw,
    invitations,
)
from arrangements.views.notifications import notifications, notifications_read
from arrangements.views.programme import (
    input_add,
    milestone_add,
    milestone_edit,
    milestone_remove,
    review_add,
    review_edit,
    review_note,
    workstream_add,
    workstream_edit,
    workstream_remove,
)

__all__ = [
    "agree",
    "arrangement_list",
    "call_off_cancel",
    "call_off_chase",
    "call_off_detail",
    "call_off_go_ahead",
    "call_off_invite",
    "call_off_new",
    "call_off_record_answer",
    "call_off_reply_by",
    "call_off_withdraw",
    "decline",
    "detail",
    "input_add",
    "invitations",
    "milestone_add",
    "milestone_edit",
    "milestone_remove",
    "notifications",
    "notifications_read",
    "propose",
    "review_add",
    "review_edit",
    "review_note",
    "terminate",
    "terms_edit",
    "terms_sign",
    "transition",
    "workstream_add",
    "workstream_edit",
    "workstream_remove",
]
