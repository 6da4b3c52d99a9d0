"""API representations of what the desk shares across kinds of ticket: services and categories."""

from rest_framework import serializers

from core.api.serializers import AssignmentGroupBriefSerializer
from servicedesk.models import Category, Service


class ServiceBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Service
        fields = ["id", "name"]
        read_only_fields = fields


class CategoryBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "parent"]
        read_only_fields = fields


class ServiceSerializer(serializers.ModelSerializer):
    support_group = AssignmentGroupBriefSerializer(read_only=True)

    class Meta:
        model = Service
        fields = ["id", "name", "description", "support_group", "is_active", "created_at", "updated_at"]
        read_only_fields = fields


class CategorySerializer(serializers.ModelSerializer):
    default_group = AssignmentGroupBriefSerializer(read_only=True)

    class Meta:
        model = Category
        fields = ["id", "name", "parent", "default_group", "is_active"]
        read_only_fields = fields
