"""The digest in Dagster: one weekly-partitioned asset per profile (its weeks in the profile's
time zone, so a missed week is back-filled from the UI) and a schedule per profile that
materialises the week just ended at the profile's send day and time, in its time zone."""

# no `from __future__ import annotations`: Dagster reads the asset function's annotations

from datetime import date
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    ConfigurableResource,
    MaterializeResult,
    ScheduleDefinition,
    WeeklyPartitionsDefinition,
    asset,
    build_schedule_from_partitioned_job,
    define_asset_job,
)
from pydantic import Field

from pipeline.config import DigestProfile, DigestSettings, Settings
from pipeline.digest.content import Week
from pipeline.resources import AlertsResource, EventStoreResource, SearchBackendResource

# cron's day numbers
WEEKDAYS = {"sunday": 0, "monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6}


class DigestResource(ConfigurableResource):
    """The ``digest`` settings: profiles and where digests are archived."""

    digest_json: str = Field(default="{}", description="pipeline.config.DigestSettings")
    digests_dir: str

    @classmethod
    def from_settings(cls, settings: Settings) -> "DigestResource":
        return cls(digest_json=settings.digest.model_dump_json(exclude_defaults=True), digests_dir=str(settings.digests_dir))

    @property
    def settings(self) -> DigestSettings:
        return DigestSettings.model_validate_json(self.digest_json)

    def profile(self, name: str) -> DigestProfile:
        from pipeline.digest.weekly import profiles_of

        return next(p for p in profiles_of(self.settings) if p.name == name)


def weeks_of(profile: DigestProfile, first_week: date) -> WeeklyPartitionsDefinition:
    """ISO weeks (Monday to Monday) in the profile's time zone; keys are their Mondays."""
    return WeeklyPartitionsDefinition(start_date=first_week.isoformat(), day_offset=1, timezone=profile.timezone)


def digest_asset(profile: DigestProfile, first_week: date) -> AssetsDefinition:
    @asset(
        name=f"digest_{profile.name}",
        partitions_def=weeks_of(profile, first_week),
        group_name="digests",
        kinds={"email", "html"},
        description=f"The weekly digest {profile.label!r}: rendered, archived, sent once to each recipient.",
    )
    def _digest(
        context: AssetExecutionContext,
        digest: DigestResource,
        search: SearchBackendResource,
        event_store: EventStoreResource,
        alerts: AlertsResource,
    ) -> MaterializeResult:
        from pipeline.digest.weekly import run_digest

        chosen = digest.profile(profile.name)
        week = Week.of(date.fromisoformat(context.partition_key), chosen.timezone)
        with search.open() as backend, event_store.open() as store, alerts.open() as outbox:
            run = run_digest(
                backend, store, outbox, alerts.settings, chosen, week, Path(digest.digests_dir), send=bool(chosen.recipients)
            )
        for error in run.delivery.errors if run.delivery else []:
            context.log.warning(error)
        delivery = run.delivery
        return MaterializeResult(
            metadata={
                "week": run.week, "subject": run.subject, "archive": str(run.archive), "empty": run.content.empty,
                **{f"items_{name}": n for name, n in run.content.item_counts().items()},
                "render_ms": round(run.render_seconds * 1000), "html_bytes": run.html_bytes, "queued": run.queued,
                "already_sent": len(run.already_sent), "sent": delivery.sent if delivery else 0,
                "retry_later": delivery.retry_later if delivery else 0, "failed": delivery.failed if delivery else 0,
            }  # fmt: skip
        )

    return _digest


def digest_schedule(profile: DigestProfile, digest: AssetsDefinition) -> ScheduleDefinition:
    hour, minute = (int(part) for part in profile.send_time.split(":"))
    job = define_asset_job(f"digest_{profile.name}_job", selection=[digest], partitions_def=digest.partitions_def)
    return build_schedule_from_partitioned_job(
        job, name=f"digest_{profile.name}_weekly", hour_of_day=hour, minute_of_hour=minute,
        day_of_week=WEEKDAYS[profile.send_day],
        description=f"The digest {profile.label!r} of the week just ended, {profile.send_day}s at {profile.send_time}"
        f" ({profile.timezone}).",
    )  # fmt: skip


def digest_definitions(settings: Settings) -> tuple[list[AssetsDefinition], list[ScheduleDefinition]]:
    from pipeline.digest.weekly import profiles_of

    assets = [digest_asset(profile, settings.digest.first_week) for profile in profiles_of(settings.digest)]
    schedules = [digest_schedule(profile, one) for profile, one in zip(profiles_of(settings.digest), assets, strict=True)]
    return assets, schedules
