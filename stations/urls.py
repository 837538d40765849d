from django.urls import path

from stations import views

app_name = "stations"
urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("logout/", views.SignOutView.as_view(), name="logout"),
    path("security/", views.two_factor, name="two_factor"),
    path("security/two-factor/", views.TwoFactorVerifyView.as_view(), name="two_factor_verify"),
    path("security/two-factor/setup/", views.TwoFactorSetupView.as_view(), name="two_factor_setup"),
    path("security/two-factor/off/", views.two_factor_disable, name="two_factor_disable"),
    path("security/password/", views.PasswordChangeView.as_view(), name="password_change"),
]
