from axes.utils import reset as reset_failed_logins
from django import forms
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.views.decorators.debug import sensitive_variables

from .context import client_ip


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}))

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "That email and password do not match an account. Check them and try again.",
    }


class NewPasswordForm(SetPasswordForm):
    """Setting a password after a reset link: SPEC's labels, Django's validators."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "New password"
        self.fields["new_password2"].label = "Confirm new password"
        self.error_messages = {**self.error_messages, "password_mismatch": "The two new passwords do not match."}


class ChangePasswordForm(NewPasswordForm, PasswordChangeForm):
    """Change password (SPEC): Current password, New password, Confirm new password.

    The current password is checked by `authenticate()`, not `check_password()`, so wrong ones
    count toward the login throttling of that email and address (accounts.throttling), as the
    password confirmation's do: a stolen session is no way round the login's limit."""

    field_order = ["old_password", "new_password1", "new_password2"]

    def __init__(self, user, *args, request, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)
        self.fields["old_password"].label = "Current password"
        self.error_messages = {**self.error_messages, "password_incorrect": "That is not your current password."}

    @sensitive_variables("password")
    def clean_old_password(self):
        password = self.cleaned_data.get("old_password") or ""
        found = authenticate(self.request, username=self.user.email, password=password)
        if found is None or found.pk != self.user.pk:
            raise forms.ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")
        reset_failed_logins(ip=client_ip(self.request), username=self.user.email.lower())
        return password


class CodeForm(forms.Form):
    """A code from the authenticator app, or at login a recovery code."""

    code = forms.CharField(
        label="Code", max_length=40, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True, "spellcheck": "false"}),
    )


class TurnOffTwoFactorForm(CodeForm):
    field_order = ["password", "code"]
    password = forms.CharField(label="Password", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.pop("autofocus", None)
