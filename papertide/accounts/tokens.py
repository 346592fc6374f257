from django.contrib.auth.tokens import PasswordResetTokenGenerator


class ActivationTokenGenerator(PasswordResetTokenGenerator):
    """Signed, expiring (PASSWORD_RESET_TIMEOUT) e-mail confirmation tokens; nothing is stored. The hash
    covers is_active, so a token stops working once the account is confirmed."""

    key_salt = "papertide.accounts.ActivationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{user.pk}{user.is_active}{user.email}{timestamp}"


activation_tokens = ActivationTokenGenerator()
