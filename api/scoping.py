"""The one place that ties API data to the requesting key's account.

Every resource viewset derives from AccountScopedViewSet: its queryset always starts from
`Model.objects.for_account(request.auth.account)`, and a subclass may only narrow it through
`scope_queryset`. Defining `get_queryset` in a subclass is refused at import time, and so is a
subclass whose create would not set the account (list AccountScopedViewSet before the mixins).
"""

from rest_framework import viewsets


class AccountScopedViewSet(viewsets.GenericViewSet):
    model = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__ or "queryset" in cls.__dict__:
            raise TypeError(f"{cls.__name__} must narrow scope_queryset(), not replace get_queryset().")
        if cls.perform_create is not AccountScopedViewSet.perform_create:
            raise TypeError(f"{cls.__name__} must list AccountScopedViewSet before the mixins.")

    @property
    def account(self):
        return self.request.auth.account

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation has no account
            return self.model.objects.none()
        return self.scope_queryset(self.model.objects.for_account(self.account))

    def scope_queryset(self, queryset):
        return queryset

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["account"] = self.account if self.request and self.request.auth else None
        return context

    def perform_create(self, serializer):
        serializer.save(account=self.account)
