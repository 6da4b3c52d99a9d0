"""Thin, idempotent tasks: they take ids and call the importer."""

from celery import shared_task

from core.tasks import BaseTask


@shared_task(base=BaseTask, name="cmdb.tasks.run_import_job")
def run_import_job(job_id):
    from .importer import run_job

    job = run_job(job_id)
    return {"job": job.pk, "state": job.state}
