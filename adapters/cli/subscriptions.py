"""`sto subscriptions ...`: the webhooks of other systems (add, list, remove, deliveries, redeliver, deliver).

`sto serve` delivers continuously (adapters/notify/webhooks.py); `sto subscriptions deliver` does one round now.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer
from rich.table import Table

from adapters.cli.context import STATE
from adapters.cli.output import console, err_console, fail, print_json, shown
from adapters.engine.sender import default_actor_name
from adapters.notify.addresses import AllowedNetworks
from adapters.notify.subscriptions import ALL, ALL_REGIONS, STATES, SubscriptionStore
from adapters.notify.webhooks import WebhookDispatcher, WebhookSettings
from adapters.read_side.notification_sources import notification_source
from domain.errors import DomainError

app = typer.Typer(help="Webhooks: grant events as signed CloudEvents to other systems (operators only).", no_args_is_help=True)

JsonFlag = Annotated[bool, typer.Option("--json", help="machine-readable output")]
ActorOption = Annotated[Optional[str], typer.Option("--actor", help="who does this (default: STO_ACTOR, else the OS user)")]
IdArgument = Annotated[str, typer.Argument(help="the subscription's id (see `sto subscriptions list`)")]


def _store() -> SubscriptionStore:
    return SubscriptionStore(STATE.url)


@app.command("add")
def add(
    callback_url: Annotated[str, typer.Argument(help="where the events are POSTed (https in production)")],
    region: Annotated[str, typer.Option("--region", help="the region whose grant's events are sent, or `*` for every region (DUS-I's own systems)")],
    types: Annotated[Optional[list[str]], typer.Option("--type", help="only this event type (repeatable), e.g. nl.sterktechniekonderwijs.grant.grant-approved; default: all")] = None,
    from_start: Annotated[bool, typer.Option("--from-start", help="send the whole history too (default: only what happens from now on)")] = False,
    actor: ActorOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Subscribe a system. Its signing secret is printed once: hand it to the receiver, which checks every
    request's `webhook-signature` with it. The URL must resolve to public addresses only, unless
    STO_WEBHOOK_ALLOWED_NETWORKS names its address (a receiver inside the agency)."""
    try:
        allowed = AllowedNetworks.from_env()
    except ValueError as error:
        fail(error, as_json)
    store = SubscriptionStore(STATE.url, allowed=allowed)
    try:
        source = notification_source(STATE.service)
        try:
            start = 0 if from_start else source.last()
        finally:
            source.close()
        subscription, secret = store.add(callback_url, region, types or (), created_by=actor or default_actor_name(),
                                         from_position=start)
    except (DomainError, ValueError) as error:
        fail(error, as_json)
    finally:
        store.close()
    if as_json:
        print_json({**subscription.to_dict(), "secret": secret})
        return
    err_console.print(f"subscription {subscription.subscription_id}: {subscription.callback_url} for "
                      f"{'every region' if subscription.region_code == ALL_REGIONS else subscription.region_code}. "
                      "Its signing secret is shown only now:")
    console.print(secret, soft_wrap=True)


@app.command("list")
def list_subscriptions(
    include_removed: Annotated[bool, typer.Option("--all", help="removed subscriptions too")] = False,
    as_json: JsonFlag = False,
) -> None:
    """The subscriptions (never their secrets), with how many deliveries are pending, delivered and dead."""
    store = _store()
    try:
        found, counts = store.list(include_removed=include_removed), store.counts()
    finally:
        store.close()
    empty = dict.fromkeys(STATES, 0)
    views = [{**s.to_dict(), "deliveries": counts.get(s.subscription_id, empty)} for s in found]
    if as_json:
        print_json(views)
        return
    table = Table(title="Webhook subscriptions" + (" (removed ones too)" if include_removed else ""))
    for col in ("id", "callback URL", "region", "types", "pending", "delivered", "dead", "removed"):
        table.add_column(col, overflow="fold")
    for v in views:
        types = v["event_types"] if v["event_types"] == ALL else "\n".join(v["event_types"])
        dead = v["deliveries"]["dead"]
        table.add_row(v["subscription_id"], shown(v["callback_url"]), v["region_code"], types, str(v["deliveries"]["pending"]),
                      str(v["deliveries"]["delivered"]), f"[bold red]{dead}[/]" if dead else "0", (v["removed_at"] or "")[:19])
    console.print(table)
    if any(v["deliveries"]["dead"] for v in views):
        err_console.print("[bold red]dead letters[/]: see them with `sto subscriptions deliveries ID --state dead`; "
                          "fix the receiver, then `sto subscriptions redeliver ID`")


@app.command("remove")
def remove(subscription_id: IdArgument, actor: ActorOption = None, as_json: JsonFlag = False) -> None:
    """End a subscription: nothing more is sent to it, and what was still to be sent is cancelled."""
    store = _store()
    try:
        subscription = store.remove(subscription_id, removed_by=actor or default_actor_name())
    except (DomainError, ValueError) as error:
        fail(error, as_json)
    finally:
        store.close()
    if as_json:
        print_json(subscription.to_dict())
        return
    console.print(f"subscription {subscription.subscription_id} removed by {subscription.removed_by}")


@app.command("deliveries")
def deliveries(
    subscription_id: Annotated[Optional[str], typer.Argument(help="one subscription (default: all)")] = None,
    state: Annotated[Optional[str], typer.Option("--state", help=f"only deliveries in this state: {', '.join(STATES)}")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The deliveries: each event's id, type, region, state, attempts and last error."""
    store = _store()
    try:
        rows = store.deliveries(subscription_id, state)
    except (DomainError, ValueError) as error:
        fail(error, as_json)
    finally:
        store.close()
    if as_json:
        print_json(rows)
        return
    table = Table(title="Webhook deliveries")
    for col in ("subscription", "event id", "type", "region", "state", "attempts", "last error"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["subscription_id"], r["event_id"], r["event_type"].rpartition(".")[2], r["region_code"], r["state"],
                      str(r["attempts"]), shown(r["last_error"] or ""))
    console.print(table)


@app.command("redeliver")
def redeliver(
    subscription_id: IdArgument,
    event: Annotated[Optional[str], typer.Option("--event", help="only this event id (dead or already delivered)")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Send the subscription's dead letters again (the grant's later events follow them in order)."""
    store = _store()
    try:
        count = store.redeliver(subscription_id, event)
    except (DomainError, ValueError) as error:
        fail(error, as_json)
    finally:
        store.close()
    if as_json:
        print_json({"subscription_id": subscription_id, "requeued": count})
        return
    console.print(f"{count} deliver{'y' if count == 1 else 'ies'} of subscription {subscription_id} queued again; "
                  "`sto serve` sends them within a second (or run `sto subscriptions deliver`)")


@app.command("deliver")
def deliver(as_json: JsonFlag = False) -> None:
    """One round now: queue the new events and post what is due (what `sto serve` does every second)."""
    try:
        settings = WebhookSettings.from_env()
    except ValueError as error:  # STO_WEBHOOK_ALLOWED_NETWORKS names something that is no network or host
        fail(error, as_json)
    store = _store()
    dispatcher = WebhookDispatcher(STATE.service, store, settings)
    try:
        counts = dispatcher.tick()
    finally:
        dispatcher.close()
        store.close()
    if as_json:
        print_json(counts)
        return
    if counts["busy"]:
        err_console.print("another process delivers for this store (`sto serve`): nothing done here")
        return
    console.print(", ".join(f"{value} {key}" for key, value in counts.items() if key != "busy"))
