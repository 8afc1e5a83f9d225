from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .forms import LanguageForm, LoginForm, PasswordForm
from .middleware import ALL_STORES, SESSION_STORE_KEY
from .navigation import panels_for
from .services import user_set_language


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = PasswordForm
    success_url = reverse_lazy("accounts:home")

    def form_valid(self, form):
        messages.success(self.request, _("Your password has been changed."))
        return super().form_valid(form)


def _safe_next(request: HttpRequest, target: str | None) -> str:
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return str(reverse_lazy("accounts:home"))


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/home.html", {"panels": panels_for(request)})


@login_required
@require_POST
def switch_store(request: HttpRequest) -> HttpResponse:
    chosen = request.POST.get("store", "")
    allowed = request.user.accessible_store_ids
    if chosen == ALL_STORES and len(allowed) > 1:
        request.session[SESSION_STORE_KEY] = ALL_STORES
    elif chosen.isdigit() and int(chosen) in allowed:
        request.session[SESSION_STORE_KEY] = int(chosen)
    else:
        messages.error(request, _("You have no access to that store."))
    return redirect(_safe_next(request, request.POST.get("next")))


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    form = LanguageForm(request.POST)
    if not form.is_valid():
        return redirect(_safe_next(request, None))
    language = form.cleaned_data["language"]
    response = redirect(_safe_next(request, form.cleaned_data.get("next")))
    if request.user.is_authenticated:
        user_set_language(user=request.user, language=language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response
