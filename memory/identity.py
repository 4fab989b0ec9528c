"""Workspaces, agents and API keys.

A key's secret is shown once, when it is made, and only its SHA-256 is kept.
Secrets carry 256 bits of randomness, so a fast hash is safe here (there is
nothing to brute-force) and lookups stay a single indexed query.
"""

import hashlib
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from memory import validation
from memory.errors import Conflict, InvalidRequest, NotFound
from memory.models import Agent, ApiKey, Membership, Role, UserIdentity, Workspace

SECRET_PREFIX = "rvk_"


@dataclass
class IssuedKey:
    key: ApiKey
    secret: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def get_or_create_workspace(*, name: str) -> Workspace:
    validation.validate_name(name)
    workspace, _ = Workspace.objects.get_or_create(name=name)
    return workspace


def create_agent(*, workspace: Workspace, name, description=None) -> Agent:
    validation.validate_name(name)
    description = validation.validate_description(description)
    try:
        with transaction.atomic():
            return Agent.objects.create(workspace=workspace, name=name, description=description)
    except IntegrityError:
        existing = Agent.objects.get(workspace=workspace, name=name)
        raise Conflict(
            f"An agent named {name!r} already exists in this workspace.", extra={"conflicting_agent_id": existing.id}
        ) from None


def get_or_create_agent(*, workspace: Workspace, name: str) -> Agent:
    agent = Agent.objects.filter(workspace=workspace, name=name).first()
    return agent or create_agent(workspace=workspace, name=name)


def get_agent(*, workspace: Workspace, agent_id: str) -> Agent:
    agent = Agent.objects.filter(workspace=workspace, id=agent_id).first()
    if agent is None:
        raise NotFound(f"Agent {agent_id!r} not found.")
    return agent


def issue_api_key(*, workspace: Workspace, name, agent: Agent | None = None) -> IssuedKey:
    """Make a key (an admin key when `agent` is None) and return its secret, once."""
    validation.validate_name(name)
    if agent is not None and agent.workspace_id != workspace.id:
        raise InvalidRequest("The agent belongs to another workspace.")
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        workspace=workspace,
        agent=agent,
        name=name,
        secret_hash=hash_secret(secret),
        hint=secret[: len(SECRET_PREFIX) + 4],
    )
    return IssuedKey(key=key, secret=secret)


def revoke_api_key(*, key: ApiKey) -> ApiKey:
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    key.refresh_from_db()
    return key


def find_api_key(secret: str) -> ApiKey | None:
    """The live key with this secret, or None."""
    return (
        ApiKey.objects.select_related("workspace", "agent")
        .filter(secret_hash=hash_secret(secret), revoked_at__isnull=True)
        .first()
    )


def touch_api_key(key: ApiKey) -> None:
    """Record use at most once a minute, so reads do not each cost a write."""
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)


def user_public_id(user) -> str:
    identity, _ = UserIdentity.objects.get_or_create(user=user)
    return identity.id


def add_member(*, workspace: Workspace, user, role: str = Role.VIEWER) -> Membership:
    membership, _ = Membership.objects.update_or_create(workspace=workspace, user=user, defaults={"role": role})
    return membership
