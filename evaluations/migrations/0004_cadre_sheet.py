"""The cadres' assessment sheets (干部考核表, docs/appraisals.md "The cadre link"), their parts
and their events; the events are append-only on PostgreSQL from the start (UPDATE, DELETE and
TRUNCATE refused, the SQL in config/audit.py as for appraisal events in 0002 and 0003)."""

import config.audit
import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models

from config.audit import create_row_trigger_sql, drop_row_trigger_sql, truncate_guard

EVENTS = "evaluations_cadresheetevent"


def create_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(create_row_trigger_sql(EVENTS), params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(drop_row_trigger_sql(EVENTS), params=None)


class Migration(migrations.Migration):

    dependencies = [
        ('evaluations', '0003_audit_no_truncate'),
        ('stations', '0004_membership_events'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CadreSheet',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(2000), django.core.validators.MaxValueValidator(2100)], verbose_name='year')),
                ('appraisal_weight', models.DecimalField(decimal_places=2, default=Decimal('30'), max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='appraisal weight (%)')),
                ('state', models.CharField(choices=[('draft', 'draft'), ('final', 'final')], default='draft', max_length=5, verbose_name='state')),
                ('version', models.PositiveIntegerField(default=1, editable=False)),
                ('appraisal_score', models.DecimalField(blank=True, decimal_places=2, max_digits=5, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='appraisal score')),
                ('total', models.DecimalField(blank=True, decimal_places=2, max_digits=5, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='total score')),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                ('finalised_at', models.DateTimeField(blank=True, null=True, verbose_name='final since')),
                ('appraisal', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='evaluations.participant', verbose_name='appraisal result')),
                ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('finalised_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('unit', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='stations.unit', verbose_name='unit')),
            ],
            options={
                'verbose_name': 'cadre assessment sheet',
                'verbose_name_plural': 'cadre assessment sheets',
                'ordering': ['-year', 'unit__region__code', 'unit__name', 'id'],
            },
        ),
        migrations.CreateModel(
            name='CadreSheetEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('verb', models.CharField(choices=[('created', 'sheet created'), ('layout', 'parts and weights changed'), ('scored', 'score entered'), ('finalised', 'sheet made final')], max_length=10, verbose_name='what')),
                ('note', models.TextField(blank=True, verbose_name='note')),
                ('data', models.JSONField(blank=True, default=dict)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='when')),
                ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('sheet', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='events', to='evaluations.cadresheet')),
            ],
            options={
                'verbose_name': 'cadre sheet event',
                'verbose_name_plural': 'cadre sheet events',
                'ordering': ['created_at', 'id'],
            },
            bases=(config.audit.AppendOnly, models.Model),
        ),
        migrations.CreateModel(
            name='CadreSheetPart',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=60, verbose_name='part')),
                ('weight', models.DecimalField(decimal_places=2, max_digits=5, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='weight (%)')),
                ('score', models.DecimalField(blank=True, decimal_places=2, max_digits=5, null=True, validators=[django.core.validators.MinValueValidator(Decimal('0')), django.core.validators.MaxValueValidator(Decimal('100'))], verbose_name='score')),
                ('sort_order', models.PositiveSmallIntegerField(default=0, verbose_name='sort order')),
                ('sheet', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='parts', to='evaluations.cadresheet')),
            ],
            options={
                'verbose_name': 'assessment part',
                'verbose_name_plural': 'assessment parts',
                'ordering': ['sheet', 'sort_order', 'id'],
            },
        ),
        migrations.AddConstraint(
            model_name='cadresheet',
            constraint=models.UniqueConstraint(fields=('unit', 'year'), name='cadresheet_once_per_unit_year', violation_error_message='This unit already has an assessment sheet for this year.'),
        ),
        migrations.AddConstraint(
            model_name='cadresheet',
            constraint=models.CheckConstraint(condition=models.Q(('state__in', ['draft', 'final'])), name='cadresheet_state_valid', violation_error_message='Unknown state.'),
        ),
        migrations.AddConstraint(
            model_name='cadresheet',
            constraint=models.CheckConstraint(condition=models.Q(('appraisal_weight__gte', 0), ('appraisal_weight__lte', 100)), name='cadresheet_appraisal_weight_in_range', violation_error_message='A weight is between 0 and 100 %%.'),
        ),
        migrations.AddConstraint(
            model_name='cadresheet',
            constraint=models.CheckConstraint(condition=models.Q(('state', 'draft'), models.Q(('finalised_at__isnull', False), ('total__isnull', False)), _connector='OR'), name='cadresheet_final_has_total', violation_error_message='A final sheet has its total.'),
        ),
        migrations.AddConstraint(
            model_name='cadresheetpart',
            constraint=models.UniqueConstraint(fields=('sheet', 'name'), name='cadresheetpart_name_once', violation_error_message='This sheet already has a part of this name.'),
        ),
        migrations.AddConstraint(
            model_name='cadresheetpart',
            constraint=models.CheckConstraint(condition=models.Q(('weight__gt', 0), ('weight__lte', 100)), name='cadresheetpart_weight_in_range', violation_error_message="A part's weight is more than 0 and at most 100 %%."),
        ),
        migrations.AddConstraint(
            model_name='cadresheetpart',
            constraint=models.CheckConstraint(condition=models.Q(('score__isnull', True), models.Q(('score__gte', 0), ('score__lte', 100)), _connector='OR'), name='cadresheetpart_score_in_range', violation_error_message='A score is between 0 and 100.'),
        ),
        migrations.RunPython(create_trigger, drop_trigger, elidable=False),
        truncate_guard(EVENTS),
    ]
