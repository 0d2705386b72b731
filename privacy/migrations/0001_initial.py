"""Legal holds, retention periods and erasures move from casework to privacy
with their tables (``db_table`` keeps casework's names): Django's state only,
no database operation. ``casework.0008`` removes them from casework's state
and moves their content types (and so their permissions)."""

import django.db.models.deletion
import django.utils.timezone
import simple_history.models
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('accounts', '0008_access_log_key_id'),
        ('casework', '0007_anonymised_at'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Erasure',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('client_id', models.UUIDField(db_index=True)),
                        ('cause', models.CharField(choices=[('request', "The person's request"), ('retention', 'Retention period over')], max_length=10)),
                        ('reason', models.TextField(blank=True, verbose_name='reason')),
                        ('erased_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('notified_agencies', models.JSONField(default=list)),
                        ('counts', models.JSONField(default=dict)),
                        ('agency', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.agency')),
                        ('erased_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'erasure',
                        'verbose_name_plural': 'erasures',
                        'db_table': 'casework_erasure',
                        'ordering': ['-erased_at'],
                    },
                ),
                migrations.CreateModel(
                    name='HistoricalLegalHold',
                    fields=[
                        ('id', models.UUIDField(db_index=True, default=uuid.uuid4, editable=False)),
                        ('reason', models.TextField(verbose_name='reason')),
                        ('placed_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('released_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('history_id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.TextField(null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('case', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='casework.case')),
                        ('client', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='casework.client')),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('placed_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('released_by', models.ForeignKey(blank=True, db_constraint=False, editable=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'historical legal hold',
                        'verbose_name_plural': 'historical legal holds',
                        'db_table': 'casework_historicallegalhold',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='HistoricalRetentionPolicy',
                    fields=[
                        ('id', models.UUIDField(db_index=True, default=uuid.uuid4, editable=False)),
                        ('kind', models.CharField(choices=[('closed_case', 'Closed cases (after closure)'), ('inactive_client', 'Clients without an open case (after the last closure)')], max_length=20, verbose_name='records')),
                        ('days', models.PositiveIntegerField(verbose_name='kept for (days)')),
                        ('updated_at', models.DateTimeField(blank=True, editable=False)),
                        ('history_id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('history_date', models.DateTimeField(db_index=True)),
                        ('history_change_reason', models.TextField(null=True)),
                        ('history_type', models.CharField(choices=[('+', 'Created'), ('~', 'Changed'), ('-', 'Deleted')], max_length=1)),
                        ('agency', models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='accounts.agency')),
                        ('history_user', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'historical retention period',
                        'verbose_name_plural': 'historical retention periods',
                        'db_table': 'casework_historicalretentionpolicy',
                        'ordering': ('-history_date', '-history_id'),
                        'get_latest_by': ('history_date', 'history_id'),
                    },
                    bases=(simple_history.models.HistoricalChanges, models.Model),
                ),
                migrations.CreateModel(
                    name='LegalHold',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('reason', models.TextField(verbose_name='reason')),
                        ('placed_at', models.DateTimeField(default=django.utils.timezone.now, editable=False)),
                        ('released_at', models.DateTimeField(blank=True, editable=False, null=True)),
                        ('case', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='legal_holds', to='casework.case')),
                        ('client', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='legal_holds', to='casework.client')),
                        ('placed_by', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('released_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'legal hold',
                        'verbose_name_plural': 'legal holds',
                        'db_table': 'casework_legalhold',
                        'ordering': ['-placed_at'],
                    },
                ),
                migrations.CreateModel(
                    name='RetentionPolicy',
                    fields=[
                        ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                        ('kind', models.CharField(choices=[('closed_case', 'Closed cases (after closure)'), ('inactive_client', 'Clients without an open case (after the last closure)')], max_length=20, verbose_name='records')),
                        ('days', models.PositiveIntegerField(verbose_name='kept for (days)')),
                        ('updated_at', models.DateTimeField(auto_now=True)),
                        ('agency', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='retention_policies', to='accounts.agency')),
                    ],
                    options={
                        'verbose_name': 'retention period',
                        'verbose_name_plural': 'retention periods',
                        'db_table': 'casework_retentionpolicy',
                        'constraints': [models.UniqueConstraint(fields=('agency', 'kind'), name='retention_once_per_kind'), models.CheckConstraint(condition=models.Q(('days__gte', 30)), name='retention_min_30_days')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
