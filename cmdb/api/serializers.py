"""API representations of the CMDB. Read serializers shape what a client sees; write serializers only validate input
and hand it to cmdb.services (or the importer), which make every change to CIs and relationships.

Class definitions (classes, attribute definitions, relationship types) are rules administrators edit as data, so
their serializers are plain model serializers checked by the models' clean().
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cmdb.choices import AttributeType, ImportOutcome, Lifecycle
from cmdb.models import AttributeDefinition, CIClass, ConfigurationItem, ImportJob, Relationship, RelationshipType
from core.api.serializers import (
    AssignmentGroupBriefSerializer,
    OrganisationBriefSerializer,
    PersonBriefSerializer,
    StrictFieldsMixin,
)
from core.messages import shown
from core.models import AssignmentGroup, Organisation, User


class _ModelCleanMixin:
    """Run the model's clean() (and field validation) so a bad definition is a 400 naming the field."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        instance = self.instance or self.Meta.model()
        many_to_many = {f.name for f in instance._meta.many_to_many}
        for name, value in attrs.items():
            if name not in many_to_many:  # JSON lists (a definition's choices) are checked like any other field
                setattr(instance, name, value)
        try:
            instance.full_clean(validate_unique=False, validate_constraints=False)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from None
        return attrs


class CIClassBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = CIClass
        fields = ["id", "code", "name", "is_service", "colour"]
        read_only_fields = fields


class AttributeDefinitionSerializer(_ModelCleanMixin, serializers.ModelSerializer):
    ci_class = serializers.SlugRelatedField(slug_field="code", queryset=CIClass.objects.all())
    type = serializers.ChoiceField(choices=AttributeType.choices, default=AttributeType.STRING)
    choices = serializers.ListField(child=serializers.CharField(), required=False, default=list)

    class Meta:
        model = AttributeDefinition
        fields = ["id", "ci_class", "key", "label", "type", "required", "unique", "choices", "help_text", "position"]


class CIClassSerializer(_ModelCleanMixin, serializers.ModelSerializer):
    """A class with every attribute its CIs have, inherited ones first (`defined_on` names the class)."""

    parent = serializers.SlugRelatedField(slug_field="code", queryset=CIClass.objects.all(), required=False,
                                          allow_null=True)
    attributes = serializers.SerializerMethodField()

    class Meta:
        model = CIClass
        fields = ["id", "code", "name", "description", "parent", "is_service", "colour", "attributes", "created_at",
                  "updated_at"]
        read_only_fields = ["created_at", "updated_at"]

    @extend_schema_field(AttributeDefinitionSerializer(many=True))
    def get_attributes(self, ci_class):
        schemas = self.context.get("schemas") or {}
        schema = schemas.get(ci_class.pk)
        definitions = list(schema.definitions.values()) if schema else []
        return [{**AttributeDefinitionSerializer(d).data, "ci_class": d.ci_class.code} for d in definitions]


class RelationshipTypeSerializer(serializers.ModelSerializer):
    allowed_source_classes = serializers.SlugRelatedField(slug_field="code", many=True, required=False,
                                                          queryset=CIClass.objects.all())
    allowed_target_classes = serializers.SlugRelatedField(slug_field="code", many=True, required=False,
                                                          queryset=CIClass.objects.all())

    class Meta:
        model = RelationshipType
        fields = ["id", "code", "name", "forward_label", "reverse_label", "description", "allowed_source_classes",
                  "allowed_target_classes", "allows_cycles", "propagates_impact"]


class RelationshipTypeBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = RelationshipType
        fields = ["id", "code", "name", "forward_label", "reverse_label", "propagates_impact"]
        read_only_fields = fields


class CIBriefSerializer(serializers.ModelSerializer):
    ci_class = serializers.SlugRelatedField(slug_field="code", read_only=True)
    state = serializers.ChoiceField(choices=Lifecycle.choices, read_only=True)

    class Meta:
        model = ConfigurationItem
        fields = ["id", "name", "ci_class", "state"]
        read_only_fields = fields


class ConfigurationItemSerializer(serializers.ModelSerializer):
    """A CI as a list row: everything a list needs, nothing that costs a query per row."""

    url = serializers.HyperlinkedIdentityField(view_name="configurationitem-detail")
    ci_class = CIClassBriefSerializer(read_only=True)
    state = serializers.ChoiceField(choices=Lifecycle.choices, read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    owner = PersonBriefSerializer(read_only=True)
    organisation = OrganisationBriefSerializer(read_only=True)
    support_group = AssignmentGroupBriefSerializer(read_only=True)
    attributes = serializers.DictField(read_only=True, help_text=_("Attribute key → value, typed per the class."))

    class Meta:
        model = ConfigurationItem
        fields = ["url", "id", "name", "ci_class", "state", "state_display", "owner", "organisation", "support_group",
                  "location", "attributes", "external_source", "external_key", "last_seen_at", "version",
                  "created_at", "updated_at"]
        read_only_fields = fields


class ConfigurationItemDetailSerializer(ConfigurationItemSerializer):
    class Meta(ConfigurationItemSerializer.Meta):
        fields = [*ConfigurationItemSerializer.Meta.fields, "description"]
        read_only_fields = fields


class _CIWriteFields(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    state = serializers.ChoiceField(choices=Lifecycle.choices, default=Lifecycle.IN_USE)
    owner = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), required=False, allow_null=True)
    organisation = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all(), required=False,
                                                      allow_null=True)
    support_group = serializers.PrimaryKeyRelatedField(queryset=AssignmentGroup.objects.all(), required=False,
                                                       allow_null=True)
    location = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    external_source = serializers.CharField(max_length=50, required=False, allow_blank=True)
    external_key = serializers.CharField(max_length=200, required=False, allow_blank=True)


class ConfigurationItemCreateSerializer(StrictFieldsMixin, _CIWriteFields):
    ci_class = serializers.SlugRelatedField(slug_field="code", queryset=CIClass.objects.all(),
                                            help_text=_("The class code."))
    attributes = serializers.DictField(required=False, default=dict,
                                       help_text=_("Attribute key → value, checked against the class."))


class ConfigurationItemUpdateSerializer(StrictFieldsMixin, _CIWriteFields):
    version = serializers.IntegerField(min_value=1, help_text=_("The version you read; a stale one answers 409."))
    name = serializers.CharField(max_length=200, required=False)
    state = serializers.ChoiceField(choices=Lifecycle.choices, required=False)
    ci_class = serializers.SlugRelatedField(slug_field="code", queryset=CIClass.objects.all(), required=False)
    attributes = serializers.DictField(
        required=False, help_text=_("A merge patch: keys given are set, keys set to null are removed."))


class RelationshipSerializer(serializers.ModelSerializer):
    source = CIBriefSerializer(read_only=True)
    target = CIBriefSerializer(read_only=True)
    type = RelationshipTypeBriefSerializer(read_only=True)
    reading = serializers.SerializerMethodField()

    class Meta:
        model = Relationship
        fields = ["id", "source", "type", "target", "reading", "external_source", "created_at", "last_seen_at"]
        read_only_fields = fields

    def get_reading(self, rel) -> str:
        return f"{rel.source.name} {rel.type.forward_label} {rel.target.name}"


class _VisibleCIField(serializers.PrimaryKeyRelatedField):
    """A CI among those the caller may see (others do not exist)."""

    def __init__(self, **kwargs):
        super().__init__(queryset=ConfigurationItem.objects.all(), **kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        return ConfigurationItem.objects.select_related("ci_class").visible_to(request.user if request else None)


class RelationshipCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    source = _VisibleCIField(help_text=_("The CI that depends on the target (e.g. the application)."))
    type = serializers.SlugRelatedField(slug_field="code", queryset=RelationshipType.objects.all())
    target = _VisibleCIField(help_text=_("e.g. the server it runs on."))


class CIRelationshipSerializer(serializers.Serializer):
    """A relationship read from one CI: outgoing ones with the forward label, incoming ones with the reverse."""

    id = serializers.IntegerField()
    direction = serializers.ChoiceField(choices=[("outgoing", "outgoing"), ("incoming", "incoming")])
    label = serializers.CharField()
    type = RelationshipTypeBriefSerializer()
    other = CIBriefSerializer()


class ImpactItemSerializer(CIBriefSerializer):
    depth = serializers.IntegerField(help_text=_("1 = a direct neighbour."))
    organisation = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta(CIBriefSerializer.Meta):
        fields = [*CIBriefSerializer.Meta.fields, "organisation", "depth"]
        read_only_fields = fields


class AffectedServiceSerializer(CIBriefSerializer):
    impact_depth = serializers.IntegerField(help_text=_("0 = one of the CIs asked about."))
    organisation = OrganisationBriefSerializer(read_only=True)

    class Meta(CIBriefSerializer.Meta):
        fields = [*CIBriefSerializer.Meta.fields, "organisation", "impact_depth"]
        read_only_fields = fields


class AffectedServicesSerializer(serializers.Serializer):
    services = AffectedServiceSerializer(many=True)
    organisations = OrganisationBriefSerializer(many=True)
    user_count = serializers.IntegerField(help_text=_("Active people in those organisations."))


class ImpactSerializer(serializers.Serializer):
    ci = CIBriefSerializer()
    direction = serializers.ChoiceField(choices=[("down", "down"), ("up", "up")])
    max_depth = serializers.IntegerField()
    count = serializers.IntegerField()
    items = ImpactItemSerializer(many=True)
    affected = AffectedServicesSerializer(required=False, help_text=_("Downstream only: the services hit."))


class HistoryChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old = serializers.CharField()
    new = serializers.CharField()


class HistoryRowSerializer(serializers.Serializer):
    when = serializers.DateTimeField()
    who = serializers.CharField()
    kind = serializers.ChoiceField(choices=[(k, k) for k in ("created", "updated", "deleted", "related",
                                                              "unrelated")])
    action = serializers.CharField()
    changes = HistoryChangeSerializer(many=True)
    relationship = serializers.CharField()


class CompareSerializer(serializers.Serializer):
    existed_before = serializers.BooleanField()
    exists_after = serializers.BooleanField()
    changes = HistoryChangeSerializer(many=True)
    added = serializers.ListField(child=serializers.CharField())
    removed = serializers.ListField(child=serializers.CharField())


class ImportJobSerializer(serializers.ModelSerializer):
    url = serializers.HyperlinkedIdentityField(view_name="importjob-detail")
    created_by = PersonBriefSerializer(read_only=True)
    state_display = serializers.CharField(source="get_state_display", read_only=True)
    summary = serializers.DictField(
        read_only=True, help_text=_("Counts per outcome for cis and relationships, stale CIs of the source, seconds."))

    class Meta:
        model = ImportJob
        fields = ["url", "id", "state", "state_display", "external_source", "format", "filename",
                  "relationships_filename", "size", "created_by", "created_at", "started_at", "finished_at",
                  "summary", "error"]
        read_only_fields = fields


class ImportJobCreateSerializer(StrictFieldsMixin, serializers.Serializer):
    file = serializers.FileField(help_text=_("CSV or JSON (see the import format in the API description)."))
    relationships_file = serializers.FileField(required=False, help_text=_("CSV only: source_key, type, target_key."))
    source = serializers.CharField(max_length=50, required=False, default="import",
                                   help_text=_("The external source the keys belong to, e.g. the discovery tool."))


class StoredMessageField(serializers.CharField):
    """A row error as stored (core.messages), answered in the caller's language."""

    def to_representation(self, value):
        return str(shown(value))


class ImportRowSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text=_("Row number (CSV: the header is row 1; JSON: position from 1)."))
    section = serializers.ChoiceField(choices=[("cis", "cis"), ("relationships", "relationships")])
    key = serializers.CharField()
    ci = serializers.IntegerField(allow_null=True)
    outcome = serializers.ChoiceField(choices=ImportOutcome.choices)
    errors = serializers.DictField(child=StoredMessageField(), help_text=_("Field → message, for refused rows."))

