import json

from django.conf import settings
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import content_disposition_header, urlsafe_base64_decode, urlsafe_base64_encode
from django.views.decorators.http import require_http_methods

from papertide import emails

from . import privacy
from .forms import DeleteAccountForm, PasswordResetByMailForm, SignUpForm
from .models import ApiToken
from .throttle import Throttled, spend, throttled, too_many
from .tokens import activation_tokens


@require_http_methods(["GET", "POST"])
@throttled("signup")
def signup(request):
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save(commit=False)
        user.is_active = False  # until the e-mail address is confirmed
        user.save()
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        link = request.build_absolute_uri(reverse("activate", args=[uid, activation_tokens.make_token(user)]))
        days = round(settings.PASSWORD_RESET_TIMEOUT / 86400)
        try:
            emails.send("confirm", user.email, {"user": user, "link": link, "days": days})
        except emails.MailNotSent:
            # Undone, so that asking again works (the name and the address are free again). Not a
            # transaction around the mail: on SQLite it would hold the write lock for the SMTP exchange.
            user.delete()
            return emails.not_sent_page(request)
        return render(request, "accounts/check_email.html", {"email": user.email})
    return render(request, "accounts/signup.html", {"form": form}, status=400 if form.errors else 200)


def _user_from(uidb64: str):
    try:
        return User.objects.get(pk=int(force_str(urlsafe_base64_decode(uidb64))))
    except (ValueError, TypeError, OverflowError, User.DoesNotExist):
        return None


@require_http_methods(["GET", "POST"])
def activate(request, uidb64, token):
    """GET shows a button (mail scanners follow links and must not confirm anything); POST confirms."""
    user = _user_from(uidb64)
    if user is None or not activation_tokens.check_token(user, token):
        return render(request, "accounts/activate.html", {"invalid": True}, status=400)
    if request.method == "POST":
        user.is_active = True
        user.save(update_fields=["is_active"])
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("profile", username=user.username)
    return render(request, "accounts/activate.html", {"account": user})


def profile(request, username):
    person = get_object_or_404(User, username=username, is_active=True)
    submissions = person.submissions.select_related("paper").order_by("-day")[:50]
    return render(request, "accounts/profile.html", {"person": person, "submissions": submissions})


login_view = throttled("login")(auth.LoginView.as_view(redirect_authenticated_user=True))


class PasswordResetView(auth.PasswordResetView):
    form_class = PasswordResetByMailForm

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except emails.MailNotSent:
            return emails.not_sent_page(self.request)


password_reset = throttled("password-reset")(PasswordResetView.as_view())


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request):
    """Personal API tokens: made here, shown once, revocable."""
    created, error = None, ""
    if request.method == "POST":
        if "revoke" in request.POST:
            revoke = request.POST["revoke"]
            if revoke.isdigit():
                ApiToken.objects.filter(user=request.user, pk=int(revoke)).delete()
            else:
                error = "which token to revoke is not given as a number"
        else:
            try:
                spend(request, "token")  # revoking is never limited
            except Throttled as refusal:
                return too_many(request, refusal)
            _, created = ApiToken.issue(request.user, request.POST.get("name", "").strip())
    listed = ApiToken.objects.filter(user=request.user).order_by("-created_at")
    context = {"tokens": listed, "created": created, "error": error}
    return render(request, "accounts/tokens.html", context, status=400 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
@throttled("export")
def export_data(request):
    """GET: what the export holds, and a button. POST: the file, everything the instance holds about the
    reader as JSON (accounts.privacy.export). A POST so that the rate limit applies: the export reads
    every stored session."""
    if request.method == "POST":
        user = request.user
        body = json.dumps(privacy.export(user), indent=2, ensure_ascii=False)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        name = f"{settings.SITE_NAME}-{user.username}-{timezone.now():%Y-%m-%d}.json"
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response
    return render(request, "accounts/export.html")


@login_required
@require_http_methods(["GET", "POST"])
@throttled("delete-account")
def delete_account(request):
    """GET: what goes, and a password field. POST with the password: the account is deleted
    (accounts.privacy.delete_account: what was the person's alone goes, votes and submissions stay
    without their name, comments stay in their threads without their text). Then the session ends."""
    posted = request.method == "POST"
    form = DeleteAccountForm(request.user, request.POST if posted else None)
    if posted and form.is_valid():
        user = request.user
        name = user.username
        logout(request)
        privacy.delete_account(user)
        return render(request, "accounts/deleted.html", {"name": name})
    return render(request, "accounts/delete.html", {"form": form}, status=400 if form.errors else 200)
