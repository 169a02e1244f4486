from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from . import throttling, two_factor
from .context import current_membership, current_membership_or_404
from .forms import ChangePasswordForm, CodeForm, EmailAuthenticationForm, NewPasswordForm, TurnOffTwoFactorForm
from .models import Account, Membership, Plan, User


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        """With two-factor authentication on, the right password only leads to the Code step."""
        user = form.get_user()
        if two_factor.is_on(user):
            two_factor.start_pending_login(self.request, user, self.get_success_url())
            return redirect("login_code")
        return super().form_valid(form)


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change password. Django's view keeps this session (update_session_auth_hash); every other
    session of the user carries the old password's hash and ends at its next request."""

    template_name = "accounts/password_change.html"
    form_class = ChangePasswordForm
    success_url = reverse_lazy("security")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Your password was changed. You were logged out everywhere else.")
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Forgot your password? Django's form mails a link only to an active account with that
    address, and the page answers the same either way, so it tells nobody who has an account.
    The link is Django's token: it signs the password hash and last login (so it works once) and
    its time (PASSWORD_RESET_TIMEOUT, one hour)."""

    template_name = "accounts/password_reset.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = NewPasswordForm
    success_url = reverse_lazy("password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


# Two-factor authentication (accounts.two_factor)

PROTECTED = [sensitive_post_parameters("code", "password"), never_cache, csrf_protect, require_http_methods(["GET", "HEAD", "POST"])]
WRONG_CODE = "That code is not right. Check the time on your phone, or use a recovery code."


@method_decorator(PROTECTED, name="dispatch")
class LoginCodeView(View):
    """The login's second step: a Code after the right password."""

    def dispatch(self, request, *args, **kwargs):
        pending = two_factor.pending_login(request)
        self.user = pending and User.objects.filter(pk=pending["user"], is_active=True).first()
        if self.user is None:
            two_factor.end_pending_login(request)
            return redirect("login")
        if AxesProxyHandler.is_locked(request, {"username": self.user.email}):
            return throttling.locked_out(request)
        self.pending = pending
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        return render(request, "accounts/login_code.html", {"form": CodeForm()})

    def post(self, request):
        form = CodeForm(request.POST)
        if form.is_valid():
            device = two_factor.check_code(request, self.user, form.cleaned_data["code"])
            if device is not None:
                two_factor.end_pending_login(request)
                auth_login(request, self.user, backend=self.pending["backend"])
                if device.name == two_factor.RECOVERY_DEVICE_NAME:
                    left = two_factor.recovery_codes_left(self.user)
                    messages.warning(request, f"You used a recovery code: {left} left. Set up two-factor authentication again to get new ones.")
                return redirect(self.pending["next"])
            form.add_error("code", WRONG_CODE)
        return render(request, "accounts/login_code.html", {"form": form}, status=400)


@method_decorator(PROTECTED, name="dispatch")
@method_decorator(login_required, name="dispatch")
class TwoFactorView(View):
    """Settings → Security → Set up two-factor authentication: a QR code and the secret, a Code
    to Verify, then the 10 recovery codes, once (in that POST's response, never stored to show
    again). With it on: turning it off, with the password and a code."""

    template_name = "accounts/two_factor.html"

    def get(self, request):
        if two_factor.is_on(request.user):
            return self.render_on(TurnOffTwoFactorForm())
        return self.render_setup(CodeForm())

    def post(self, request):
        if two_factor.is_on(request.user):
            return self.turn_off()
        device = two_factor.unconfirmed_app_device(request.user)
        form = CodeForm(request.POST)
        if form.is_valid():
            codes = two_factor.confirm(device, form.cleaned_data["code"])
            if codes is not None:
                request.session.cycle_key()
                return render(request, self.template_name, {"recovery_codes": codes})
            form.add_error("code", "That code is not right. Check the time on your phone and try the next one.")
        return self.render_setup(form, status=400)

    def turn_off(self):
        request = self.request
        form = TurnOffTwoFactorForm(request.POST)
        if form.is_valid():
            # authenticate(): wrong passwords count toward the login throttling (accounts.throttling).
            user = authenticate(request, username=request.user.email, password=form.cleaned_data["password"])
            if user is None or user.pk != request.user.pk:
                form.add_error("password", "That password is not right.")
            elif two_factor.check_code(request, request.user, form.cleaned_data["code"]) is None:
                form.add_error("code", WRONG_CODE)
            else:
                two_factor.turn_off(request.user)
                messages.success(request, "Two-factor authentication is off.")
                return redirect("security")
        return self.render_on(form, status=400)

    def render_setup(self, form, status=200):
        device = two_factor.unconfirmed_app_device(self.request.user)
        context = {
            "form": form, "qr_code": two_factor.qr_code_data_uri(device), "secret": two_factor.spaced_secret(device),
            "required": current_membership(self.request) is not None and current_membership(self.request).account.require_two_factor,
        }
        return render(self.request, self.template_name, context, status=status)

    def render_on(self, form, status=200):
        context = {"on": True, "form": form, "recovery_codes_left": two_factor.recovery_codes_left(self.request.user)}
        return render(self.request, self.template_name, context, status=status)


@never_cache
@csrf_protect
@login_required
@require_POST
def require_two_factor(request):
    """An owner requires (or stops requiring) two-factor authentication of every member."""
    membership = current_membership_or_404(request)
    if membership.role != Membership.Role.OWNER:
        raise PermissionDenied("Only owners can require two-factor authentication.")
    required = request.POST.get("require_two_factor") == "on"
    if required and not two_factor.is_on(request.user):
        messages.error(request, "Set up two-factor authentication for yourself first.")
        return redirect("security")
    Account.objects.filter(pk=membership.account_id).update(require_two_factor=required)
    if required:
        messages.success(request, "Every member now needs two-factor authentication.")
    else:
        messages.success(request, "Two-factor authentication is no longer required.")
    return redirect("security")


@login_required
@require_http_methods(["GET", "HEAD"])
def plans(request):
    """Settings → Plans: every plan's limits, the account's own marked. Changing plan is done by
    Pivra's staff (the admin) when an owner asks: there is no payment in Pivra itself."""
    membership = current_membership_or_404(request)
    context = {
        "plans": Plan.objects.all(),
        "current_plan": membership.account.plan,
        "can_change_plan": membership.role == Membership.Role.OWNER,
        "sales_email": settings.PIVRA_SALES_EMAIL,
    }
    return render(request, "accounts/plans.html", context)
