from django import forms
from django.contrib.auth.forms import PasswordResetForm, UserCreationForm
from django.contrib.auth.models import User
from django.urls import reverse

from papertide import emails


class SignUpForm(UserCreationForm):
    email = forms.EmailField(help_text="We send a link to confirm it.")

    class Meta(UserCreationForm.Meta):  # type: ignore[name-defined]
        model = User
        fields = ("username", "email")

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this e-mail address exists already. Log in, or reset its password."
            )
        return email


class PasswordResetByMailForm(PasswordResetForm):
    """Django's password reset, its message built like every other e-mail (emails/password-reset-*)."""

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email, **kw):
        path = reverse("password_reset_confirm", args=[context["uid"], context["token"]])
        link = f"{context['protocol']}://{context['domain']}{path}"
        # A refused mail raises emails.MailNotSent (logged there), and the view answers 503. That page
        # shows only while the mail server fails, and only for an address that has an account: the
        # visitor must learn the link is not coming, rather than wait for it.
        emails.send("password-reset", to_email, {"user": context["user"], "link": link})


class DeleteAccountForm(forms.Form):
    """Deleting an account asks for its password: a borrowed session alone cannot do it."""

    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self):
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password; nothing was deleted.")
        return password
