"""Community's part of a person's data (accounts.privacy): their votes, submissions, comments and reports.

Deleting the account keeps what other people's words and counts rest on: votes stay counted and
submissions stay on the daily list (both lose their link to the person, on_delete=SET_NULL), comments keep
their place in their threads but lose their text (`forget`). Reports by the person go (CASCADE).
"""

from papertide.accounts.privacy import forget_admin_log, iso

from .models import Comment, DailyEntry, Report, Vote


def export(user) -> dict:
    votes = Vote.objects.filter(user=user).select_related("paper").order_by("created_at", "id")
    submissions = DailyEntry.objects.filter(submitted_by=user).select_related("paper").order_by("day", "id")
    comments = Comment.objects.filter(user=user).select_related("paper").order_by("created_at", "id")
    reports = Report.objects.filter(user=user).order_by("created_at", "id")
    return {
        "votes": [{"paper": v.paper.arxiv_id, "at": iso(v.created_at)} for v in votes],
        "submissions": [
            {"paper": e.paper.arxiv_id, "day": iso(e.day), "at": iso(e.created_at)} for e in submissions
        ],
        "comments": [
            {
                "id": c.pk,
                "paper": c.paper.arxiv_id,
                "reply_to": c.parent_id,
                "text": c.body,
                "at": iso(c.created_at),
                "edited_at": iso(c.edited_at),
                "deleted": c.deleted,
                "hidden": c.hidden,
            }
            for c in comments
        ],
        "reports": [
            {"comment": r.comment_id, "reason": r.reason, "at": iso(r.created_at), "resolved": r.resolved}
            for r in reports
        ],
    }


def forget(user) -> None:
    """Before the account goes: its comments lose their text (author-deleted ones too, which kept it) and
    show as "[deleted]"; the account's deletion then unlinks them (SET_NULL). The admin's history of
    those comments and of the person's reports goes (it keeps their first words)."""
    comments = Comment.objects.filter(user=user)
    forget_admin_log(Comment, comments.values_list("pk", flat=True))
    forget_admin_log(Report, Report.objects.filter(user=user).values_list("pk", flat=True))
    comments.update(body="", deleted=True, edited_at=None)
