"""``/api/v1/notifications/`` (one's inbox and preferences) and ``/api/v1/webhooks/`` (one's
organisation's webhooks and their deliveries)."""

from __future__ import annotations

from typing import Any, ClassVar

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.filters import SearchFilter
from rest_framework.request import Request
from rest_framework.response import Response

from accord.core.choices import Tlp
from accord.core.fields import choice_field
from accord.core.roles import Perm
from accord.core.schema import ErrorSerializer
from accord.core.viewsets import ReadViewSet, SelectorViewSet, principal_of, validated
from accord.notifications import selectors
from accord.notifications.choices import Channel, Digest
from accord.notifications.filters import DeliveryFilter, NotificationFilter
from accord.notifications.models import Notification, Webhook, WebhookDelivery
from accord.notifications.services import (
    notification_read,
    notifications_read_all,
    preferences_set,
    webhook_create,
    webhook_delete,
    webhook_test,
    webhook_update,
)

__all__ = ["NotificationViewSet", "WebhookDeliveryViewSet", "WebhookViewSet"]


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    unread = serializers.BooleanField(read_only=True)

    class Meta:
        model = Notification
        fields: ClassVar[list[str]] = [
            "id",
            "event_type",
            "title",
            "body",
            "link",
            "object_type",
            "object_id",
            "unread",
            "created_at",
            "read_at",
        ]
        read_only_fields = fields


class PreferenceRowSerializer(serializers.Serializer[Any]):
    event_type = serializers.CharField()
    title = serializers.CharField(source="label")
    description = serializers.CharField(source="about")
    channel = choice_field(Channel)
    default = serializers.CharField(help_text="The role's default channel (one of the channel values).")
    own = serializers.BooleanField(help_text="Chosen by the person (else the role's default applies).")


class PreferencesSerializer(serializers.Serializer[Any]):
    digest = choice_field(Digest)
    event_types = PreferenceRowSerializer(many=True)


class PreferencesWriteSerializer(serializers.Serializer[Any]):
    digest = choice_field(Digest, required=False)
    channels = serializers.DictField(
        child=choice_field(Channel),
        required=False,
        help_text='Event type to channel, e.g. {"object.correlated": "both"}.',
    )


class ReadAllSerializer(serializers.Serializer[Any]):
    event_type = serializers.CharField(required=False, allow_blank=True, help_text="Only of this event type.")


class NotificationViewSet(ReadViewSet):
    """One's own notifications, newest first; mark one or all read; one's preferences."""

    serializer_class = NotificationSerializer
    filterset_class = NotificationFilter
    ordering_fields: ClassVar[list[str]] = ["created_at"]
    ordering = ["-created_at", "-id"]
    search_fields: ClassVar[list[str]] = ["title"]
    model = Notification
    list_selector = staticmethod(selectors.notification_list)
    get_selector = staticmethod(selectors.notification_get)

    @extend_schema(request=None, responses={200: NotificationSerializer, 404: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        """Mark it read."""
        notification = notification_read(actor=principal_of(request), notification=self.get_object())
        return Response(NotificationSerializer(notification).data)

    @extend_schema(request=None, responses={200: NotificationSerializer, 404: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def unread(self, request: Request, pk: str) -> Response:
        """Mark it unread again."""
        notification = notification_read(actor=principal_of(request), notification=self.get_object(), read=False)
        return Response(NotificationSerializer(notification).data)

    @extend_schema(
        request=ReadAllSerializer,
        responses={200: inline_serializer("ReadAll", {"marked": serializers.IntegerField()}), 400: ErrorSerializer},
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        """Mark every unread notification read (of one event type, when given)."""
        data = validated(ReadAllSerializer, request.data)
        marked = notifications_read_all(actor=principal_of(request), event_type=data.get("event_type", ""))
        return Response({"marked": marked})

    @extend_schema(methods=["GET"], responses={200: PreferencesSerializer})
    @extend_schema(
        methods=["PATCH"],
        request=PreferencesWriteSerializer,
        responses={200: PreferencesSerializer, 400: ErrorSerializer},
    )
    @action(detail=False, methods=["get", "patch"])
    def preferences(self, request: Request) -> Response:
        """Where one is told of each event type (in the inbox, by e-mail, both or not at all) and
        whether e-mails come at once or as a daily digest. PATCH names only what changes."""
        person = principal_of(request)
        if request.method == "PATCH":
            data = validated(PreferencesWriteSerializer, request.data)
            preferences_set(actor=person, channels=data.get("channels"), digest=data.get("digest"))
        return Response(PreferencesSerializer(selectors.preference_list(principal=person)).data)


class WebhookSerializer(serializers.ModelSerializer[Webhook]):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    created_by = serializers.CharField(source="created_by.username", read_only=True)

    class Meta:
        model = Webhook
        fields: ClassVar[list[str]] = [
            "id",
            "name",
            "url",
            "organisation",
            "organisation_name",
            "created_by",
            "event_types",
            "tlps",
            "stix_types",
            "crime_types",
            "enabled",
            "disabled_reason",
            "failures",
            "created_at",
        ]
        read_only_fields = fields


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(read_only=True, help_text="The signing secret: shown this once.")

    class Meta(WebhookSerializer.Meta):
        fields: ClassVar[list[str]] = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookWriteSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=100)
    url = serializers.CharField(max_length=1000, help_text="https://…; http:// only to the loopback interface.")
    event_types = serializers.ListField(child=serializers.CharField(max_length=64))
    tlps = serializers.ListField(child=choice_field(Tlp), required=False, help_text="object.visible: only these TLPs.")
    stix_types = serializers.ListField(child=serializers.CharField(max_length=250), required=False)
    crime_types = serializers.ListField(child=serializers.CharField(max_length=64), required=False)
    enabled = serializers.BooleanField(required=False)
    rotate_secret = serializers.BooleanField(required=False, help_text="PATCH: issue a new signing secret.")


class DeliverySerializer(serializers.ModelSerializer[WebhookDelivery]):
    class Meta:
        model = WebhookDelivery
        fields: ClassVar[list[str]] = [
            "id",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "next_attempt_at",
            "last_attempt_at",
            "response_status",
            "latency_ms",
            "response_excerpt",
            "error",
            "object_count",
            "created_at",
            "delivered_at",
        ]
        read_only_fields = fields


class WebhookViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, mixins.DestroyModelMixin, ReadViewSet):
    """One's organisation's webhooks (contributors manage them; administrators see all and may
    turn one off or on); their delivery logs; a test event."""

    serializer_class = WebhookSerializer
    # No ?ordering= (a short list, in the selector's order: name): DRF drops an unknown order in silence.
    filter_backends = [SearchFilter]
    search_fields: ClassVar[list[str]] = ["name", "url"]
    action_perms: ClassVar[dict[str, Perm]] = {
        "create": Perm.SHARING_SUBMIT,
        "partial_update": Perm.SHARING_SUBMIT,
        "destroy": Perm.SHARING_SUBMIT,
        "test": Perm.SHARING_SUBMIT,
    }
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    model = Webhook
    list_selector = staticmethod(selectors.webhook_list)
    get_selector = staticmethod(selectors.webhook_get)

    @extend_schema(request=WebhookWriteSerializer, responses={201: WebhookCreatedSerializer, 400: ErrorSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Add a webhook; the answer carries its signing secret, shown this once."""
        data = validated(WebhookWriteSerializer, request.data)
        data.pop("enabled", None)
        data.pop("rotate_secret", None)
        webhook, secret = webhook_create(actor=principal_of(request), **data)
        body = dict(WebhookSerializer(webhook).data) | {"secret": secret}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=WebhookWriteSerializer,
        responses={200: WebhookCreatedSerializer, 400: ErrorSerializer, 403: ErrorSerializer},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change a webhook; ``enabled: true`` turns it on again (its failures cleared);
        ``rotate_secret: true`` answers the new secret (else ``secret`` is empty)."""
        webhook = self.get_object()
        data = validated(WebhookWriteSerializer, request.data, partial=True)
        if "name" in data:
            raise serializers.ValidationError({"name": ["A webhook's name is fixed; add another."]})
        webhook, secret = webhook_update(actor=principal_of(request), webhook=webhook, **data)
        return Response(dict(WebhookSerializer(webhook).data) | {"secret": secret})

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(responses={204: None, 403: ErrorSerializer, 404: ErrorSerializer})
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Remove a webhook and its delivery log."""
        webhook_delete(actor=principal_of(request), webhook=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={202: DeliverySerializer, 400: ErrorSerializer, 403: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def test(self, request: Request, pk: str) -> Response:
        """Queue a ``webhook.test`` event to it; its delivery shows in ``deliveries``."""
        delivery = webhook_test(actor=principal_of(request), webhook=self.get_object())
        delivery.refresh_from_db()
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


class WebhookDeliveryViewSet(mixins.ListModelMixin, SelectorViewSet):
    """A webhook's delivery log, newest first: status, attempts, the last answer's status,
    latency and first bytes (the webhook as one may see it, else a 404)."""

    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilter
    ordering = ["-created_at", "-id"]  # newest first, always
    model = WebhookDelivery

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return WebhookDelivery.objects.none()
        person = principal_of(self.request)
        webhook = selectors.webhook_get(principal=person, pk=self.kwargs["webhook_id"])
        return selectors.delivery_list(principal=person, webhook=webhook)
