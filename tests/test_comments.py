"""Discussion on paper pages: Markdown rendered safely, replies one level deep, edit, delete, report,
moderation in the admin."""

import pytest

from papertide.community.models import Comment, Report
from tests.personas import client_for, crowd
from tests.search_data import import_sample

pytestmark = pytest.mark.django_db
PAYLOADS = [
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(1)">',
    "[click](javascript:alert(1))",
    '<a href="https://example.org" onclick="alert(1)">x</a>',
]


@pytest.fixture
def paper():
    return import_sample(1, embed=False)[0]


def page(client, paper) -> str:
    return client.get(paper.get_absolute_url()).content.decode()


def test_comment_markdown_is_rendered_and_sanitised(paper, reader):
    client = client_for(reader)
    body = "Nice **result**, see [the code](https://github.com/x/y).\n\n" + "\n\n".join(PAYLOADS)
    response = client.post(f"/papers/{paper.arxiv_id}/comments/", {"body": body})
    made = Comment.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"#comment-{made.pk}")
    html = page(client, paper)
    assert "<strong>result</strong>" in html
    assert '<a href="https://github.com/x/y" rel="nofollow noopener ugc">the code</a>' in html
    # (the owner's edit box shows the raw text, escaped: only live markup counts)
    for forbidden in ("<script>alert", "<img", 'onerror="', 'href="javascript:', 'onclick="'):
        assert forbidden not in html


def test_replies_stay_one_level_deep(paper, reader, outsider):
    client_for(reader).post(f"/papers/{paper.arxiv_id}/comments/", {"body": "first"})
    top = Comment.objects.get()
    client = client_for(outsider)
    client.post(f"/papers/{paper.arxiv_id}/comments/", {"body": "a reply", "parent": top.pk})
    reply = Comment.objects.get(body="a reply")
    client.post(f"/papers/{paper.arxiv_id}/comments/", {"body": "a reply to the reply", "parent": reply.pk})
    assert Comment.objects.get(body="a reply to the reply").parent == top
    html = page(client, paper)
    assert html.index("first") < html.index("a reply") < html.index("a reply to the reply")


def test_only_the_author_edits_or_deletes_a_comment(paper, reader, outsider):
    client = client_for(reader)
    client.post(f"/papers/{paper.arxiv_id}/comments/", {"body": "typo"})
    made = Comment.objects.get()
    assert client_for(outsider).post(f"/comments/{made.pk}/edit/", {"body": "vandal"}).status_code == 403
    assert client_for(outsider).post(f"/comments/{made.pk}/delete/").status_code == 403
    client.post(f"/comments/{made.pk}/edit/", {"body": "fixed"})
    made.refresh_from_db()
    assert made.body == "fixed" and made.edited_at
    client.post(f"/comments/{made.pk}/delete/")
    assert "fixed" not in page(client, paper)


def test_bad_comments_get_a_4xx_with_a_reason(paper, reader):
    client = client_for(reader)
    assert client.post(f"/papers/{paper.arxiv_id}/comments/", {"body": "  "}).status_code == 400
    too_long = client.post(f"/papers/{paper.arxiv_id}/comments/", {"body": "x" * 10_001})
    assert too_long.status_code == 400 and "at most 10,000" in too_long.content.decode()
    assert (
        client.post(f"/papers/{paper.arxiv_id}/comments/", {"body": "hi", "parent": "999"}).status_code == 400
    )
    assert client.get(f"/papers/{paper.arxiv_id}/comments/").status_code == 405
    client.logout()
    anonymous = client.post(f"/papers/{paper.arxiv_id}/comments/", {"body": "hi"})
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert Comment.objects.count() == 0


def test_a_moderator_hides_a_reported_comment_and_suspends_its_author(paper, reader, outsider, moderator):
    client = client_for(reader)
    client.post(f"/papers/{paper.arxiv_id}/comments/", {"body": "spam spam"})
    client.post(f"/papers/{paper.arxiv_id}/comments/", {"body": "a fine remark"})
    spam = Comment.objects.get(body="spam spam")
    client = client_for(outsider)
    client.post(f"/comments/{spam.pk}/report/", {"reason": "spam"})
    client.post(f"/comments/{spam.pk}/report/", {"reason": "spam again"})
    assert Report.objects.filter(comment=spam).count() == 1

    client = client_for(moderator)
    admin_list = client.get("/admin/community/comment/").content.decode()
    assert "spam spam" in admin_list
    client.post("/admin/community/comment/", {"action": "remove", "_selected_action": [spam.pk]})
    assert "spam spam" not in page(client, paper) and "a fine remark" in page(client, paper)
    assert Report.objects.get(comment=spam).resolved
    client.post("/admin/auth/user/", {"action": "suspend", "_selected_action": [reader.pk]})
    reader.refresh_from_db()
    assert not reader.is_active
    assert "a fine remark" not in page(client, paper)  # a suspended person's comments are hidden too


def test_reports_by_enough_people_hide_a_comment_until_a_moderator_decides(
    paper, reader, moderator, settings
):
    settings.PAPERTIDE_REPORTS_TO_HIDE = 3
    client_for(reader).post(f"/papers/{paper.arxiv_id}/comments/", {"body": "buy cheap pills"})
    made = Comment.objects.get()
    reporters = crowd(4, prefix="reporter")
    for reporter in reporters[:2]:
        answer = client_for(reporter).post(f"/comments/{made.pk}/report/", {"reason": "spam"})
        assert "The moderators will look at the comment." in answer.content.decode()
    client_for(reporters[0]).post(f"/comments/{made.pk}/report/", {"reason": "spam!"})  # counts once
    assert "buy cheap pills" in page(client_for(reader), paper)

    third = client_for(reporters[2]).post(f"/comments/{made.pk}/report/", {"reason": "spam"})
    assert "it is hidden until a moderator looks at it" in third.content.decode()
    assert "buy cheap pills" not in page(client_for(reader), paper)

    # The moderator finds it among the pending ones, and restores it: shown again, the reports settled.
    staff = client_for(moderator)
    pending = staff.get("/admin/community/comment/?moderation=pending").content.decode()
    assert "buy cheap pills" in pending
    staff.post("/admin/community/comment/", {"action": "restore", "_selected_action": [made.pk]})
    assert "buy cheap pills" in page(client_for(reader), paper)
    assert "buy cheap pills" not in staff.get("/admin/community/comment/?moderation=pending").content.decode()
    assert not Report.objects.filter(resolved=False).exists()

    # Settled reports do not count again: the next reporter alone does not hide it.
    client_for(reporters[3]).post(f"/comments/{made.pk}/report/", {"reason": "still spam"})
    assert "buy cheap pills" in page(client_for(reader), paper)
    # Hidden again by three new people, then removed: hidden for good, pending no more.
    for reporter in crowd(2, prefix="later"):
        client_for(reporter).post(f"/comments/{made.pk}/report/", {"reason": "spam"})
    assert list(Comment.objects.pending()) == [made]
    staff.post("/admin/community/comment/", {"action": "remove", "_selected_action": [made.pk]})
    assert "buy cheap pills" not in page(client_for(reader), paper)
    assert not Comment.objects.pending().exists() and Comment.objects.get().hidden


def test_each_state_change_of_a_comment_is_one_update_the_instance_follows(
    paper, reader, django_assert_num_queries
):
    made = Comment.objects.create(paper=paper, user=reader, body="typo")
    with django_assert_num_queries(1):
        assert made.edit("fixed")
    assert (made.body, made.edited_at) == Comment.objects.values_list("body", "edited_at").get()
    with django_assert_num_queries(1):
        made.hide()
    assert made.hidden and not Comment.objects.visible().exists()
    made.unhide()
    assert not made.hidden and Comment.objects.visible().get() == made
    with django_assert_num_queries(1):
        made.delete_by_author()
    assert made.deleted and not Comment.objects.visible().exists()
    assert Comment.objects.get().body == "fixed"  # the row stays, its replies keep their thread


def test_an_edit_never_brings_back_a_deleted_comment(paper, reader):
    made = Comment.objects.create(paper=paper, user=reader, body="typo")
    other_tab = Comment.objects.get(pk=made.pk)  # read before the author deleted it elsewhere
    made.delete_by_author()
    assert not other_tab.edit("fixed")
    assert other_tab.body == "typo" and other_tab.edited_at is None
    assert Comment.objects.values_list("body", "deleted", "edited_at").get() == ("typo", True, None)
    refused = client_for(reader).post(f"/comments/{made.pk}/edit/", {"body": "fixed"})
    assert refused.status_code == 403


def test_moderators_hide_and_show_many_comments_at_once(paper, reader, outsider):
    for person in (reader, outsider):
        Comment.objects.create(paper=paper, user=person, body=f"by {person.username}")
    assert Comment.objects.filter(user=reader).hide() == 1
    assert list(Comment.objects.visible().values_list("user", flat=True)) == [outsider.pk]
    assert Comment.objects.all().unhide() == 2
    assert Comment.objects.visible().count() == 2


def test_paper_page_query_count_does_not_grow_with_comments(client, paper, django_assert_max_num_queries):
    people = crowd(5)
    top = Comment.objects.create(paper=paper, user=people[0], body="top")
    for p in people:
        Comment.objects.create(paper=paper, user=p, body="reply", parent=top)
        Comment.objects.create(paper=paper, user=p, body="another")
    # paper, versions, code links, vectors, similar papers by the title's words (their counts, the match,
    # the papers), daily days, comments, replies (tests/test_paper_page.py: flat in all of them)
    with django_assert_max_num_queries(10):
        client.get(paper.get_absolute_url())


def test_ids_arxiv_never_issued_are_404_not_500(reader):
    client = client_for(reader)
    for url in (
        "/papers/2513.00001/",
        "/papers/2513.00001.md",
        "/papers/2513.00001/comments/",
        "/papers/2513.00001/upvote/",
    ):
        response = (
            client.post(url, {"body": "x"}) if url.endswith(("comments/", "upvote/")) else client.get(url)
        )
        assert response.status_code == 404, url


def test_a_deleted_comment_with_replies_keeps_its_place_as_deleted(paper, reader, outsider):
    client = client_for(reader)
    client.post(f"/papers/{paper.arxiv_id}/comments/", {"body": "a question"})
    client.post(f"/papers/{paper.arxiv_id}/comments/", {"body": "an aside"})
    question, aside = Comment.objects.order_by("id")
    client_for(outsider).post(
        f"/papers/{paper.arxiv_id}/comments/", {"body": "the answer", "parent": question.pk}
    )
    client.post(f"/comments/{question.pk}/delete/")
    client.post(f"/comments/{aside.pk}/delete/")

    html = page(client_for(outsider), paper)
    assert "a question" not in html and "an aside" not in html
    assert f'id="comment-{question.pk}"' in html and "[deleted]" in html  # the thread's head, without text
    assert html.index(f'id="comment-{question.pk}"') < html.index("the answer")
    assert f'id="comment-{aside.pk}"' not in html  # nothing hangs on it: gone from the page
