"""Thin tasks: they call a service."""

from celery import shared_task

from core.tasks import BaseTask


@shared_task(base=BaseTask, name="problems.tasks.propose_problem_candidates")
def propose_problem_candidates():
    """The trend run (every 10 minutes): incremental, safe to overlap (an advisory lock serialises runs)."""
    from .trends import propose_candidates

    result = propose_candidates()
    return {"proposed": result.proposed, "grown": result.grown}
