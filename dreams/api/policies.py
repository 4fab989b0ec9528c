"""/v1/memory_stores/{id}/dream_policy: when a store dreams on its own (admin keys)."""

from rest_framework.decorators import api_view
from rest_framework.response import Response

from dreams import triggers
from dreams.models import DreamPolicy
from memory.access import get_store
from memory.api.render import timestamp


def render(store, policy: DreamPolicy | None) -> dict:
    return {
        "type": "dream_policy",
        "memory_store_id": store.id,
        "model": policy.model_id if policy else "reverie-offline",
        "instructions": policy.instructions if policy else None,
        "output_behavior": policy.output_behavior if policy else "create_new",
        "after_sessions": policy.after_sessions if policy else None,
        "min_outcome": policy.min_outcome if policy else None,
        "pending_sessions": len(policy.pending_session_ids) if policy else 0,
        "cron": policy.cron if policy else None,
        "last_dream_id": policy.last_dream_id if policy else None,
        "last_triggered_at": timestamp(policy.last_triggered_at) if policy else None,
    }


@api_view(["GET", "POST"])
def dream_policy(request, store_id):
    principal = request.user
    store = get_store(principal, store_id)
    principal.require_admin()
    if request.method == "POST":
        data = request.data
        policy = triggers.set_policy(
            store=store, model_id=data.get("model"), instructions=data.get("instructions"),
            output_behavior=data.get("output_behavior"), after_sessions=data.get("after_sessions"),
            min_outcome=data.get("min_outcome"), cron=data.get("cron"),
        )
        return Response(render(store, policy))
    return Response(render(store, DreamPolicy.objects.filter(store=store).first()))
