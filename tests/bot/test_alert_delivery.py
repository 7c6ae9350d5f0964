"""Alerts posted to a watch's channel and their persistent buttons, through the fake Discord."""

from __future__ import annotations

import json

from core.alerts.card import alert_custom_id
from tests.bot.harness import (
    DEALS,
    OTHER_DEALS,
    OTHER_GUILD,
    READ_ONLY,
    Harness,
    holder_for,
    running_bot,
)
from tests.bot.market import Seeder
from tests.fakes.discord_api import FakeDiscord, StoredMessage


async def posted(h: Harness, channel: int = DEALS) -> list[StoredMessage]:
    return [m for m in h.fake.messages_in(channel) if not m.deleted]


async def alert_message(h: Harness, title: str = "@everyone DDR4 <@&1> **steal**") -> tuple[
    StoredMessage, int
]:  # fmt: skip
    seed = Seeder(h)
    watch = await seed.watch()
    (cheap,) = await seed.market(watch)
    await h.pool.execute("UPDATE listings SET title = $2 WHERE id = $1", cheap, title)
    assert await seed.delivery().deliver_pending() >= 1
    alert = await h.pool.fetchval("SELECT id FROM alerts WHERE listing_id = $1", cheap)
    (message,) = [m for m in await posted(h) if alert_custom_id("dismiss", alert) in
                  json.dumps(m.components)]  # fmt: skip
    return message, alert


async def test_an_alert_is_a_rich_inert_embed_with_persistent_buttons(h: Harness) -> None:
    message, alert = await alert_message(h)
    (embed,) = message.embeds
    assert "@everyone" not in embed["title"]
    assert "<@&1>" not in embed["title"]
    assert embed["url"].startswith("https://www.ebay.com/itm/")
    assert embed["thumbnail"]["url"] == "https://i.ebayimg.com/x.jpg"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Price"] == "40.00 USD, free shipping"
    assert fields["Unit price"] == "40.00 USD"
    # the discount against the median and the sample count, in words
    assert fields["Market"] == "74% under the usual $155, from 12 listings"
    assert fields["Score"].startswith("**100**/100 · price 100 · seller +1.5")
    assert fields["Seller"] == "homelab\\_parts · 5,400 feedback · 99.80% positive · top rated"
    assert fields["Condition"] == "Used, working"
    request = next(r for r in h.fake.requests if r.path == f"/channels/{DEALS}/messages")
    assert request.json is not None
    assert request.json["allowed_mentions"] == {"parse": []}
    buttons = message.components[0]["components"]
    assert [b["label"] for b in buttons] == ["Dismiss", "Mute watch 24h", "Not a deal",
                                             "View on eBay"]  # fmt: skip
    assert buttons[3]["url"] == embed["url"]
    assert await h.pool.fetchval(
        "SELECT o.message_id FROM outbox o JOIN alerts a ON a.outbox_id = o.id WHERE a.id = $1",
        alert,
    ) == message.id  # fmt: skip


async def test_dismiss_collapses_the_message_and_needs_a_manager(h: Harness) -> None:
    message, alert = await alert_message(h)
    refused = await h.click(message.data, alert_custom_id("dismiss", alert), who="member")
    assert refused.ephemeral
    assert "Manage Server" in refused.embeds[0]["description"]
    assert await h.pool.fetchval("SELECT status FROM alerts WHERE id = $1", alert) == "delivered"
    done = await h.click(message.data, alert_custom_id("dismiss", alert), who="manager")
    assert done.type == 7  # the message itself is edited
    (embed,) = done.embeds
    assert embed["description"].startswith(f"Dismissed by <@{h.fake.user.id}>")
    assert [b["label"] for b in done.components[0]["components"]] == ["View on eBay"]
    row = await h.pool.fetchrow("SELECT status, dismissed_by FROM alerts WHERE id = $1", alert)
    assert row is not None
    assert (row["status"], row["dismissed_by"]) == ("dismissed", h.fake.user.id)


async def test_not_a_deal_is_open_to_members_and_mute_holds_the_watch(h: Harness) -> None:
    message, alert = await alert_message(h)
    noted = await h.click(message.data, alert_custom_id("notdeal", alert), who="member")
    assert noted.ephemeral
    assert "is not a deal" in noted.embeds[0]["description"]
    assert await h.pool.fetchval("SELECT feedback FROM alerts WHERE id = $1", alert) == (
        "not_a_deal")  # fmt: skip
    refused = await h.click(message.data, alert_custom_id("mute", alert), who="member")
    assert "Manage Server" in refused.embeds[0]["description"]
    muted = await h.click(message.data, alert_custom_id("mute", alert))
    assert muted.ephemeral
    assert "is muted until" in muted.embeds[0]["description"]
    assert await h.pool.fetchval("SELECT muted_until > now() + interval '23 hours' FROM watches")


async def test_buttons_keep_working_after_a_restart(fake: FakeDiscord, database_url: str) -> None:
    holder = holder_for(fake, database_url, None)
    async with running_bot(fake, holder) as first:
        message, alert = await alert_message(first)
    # A new process: nothing in memory but the custom_id on the message.
    async with running_bot(fake, holder_for(fake, database_url, None)) as second:
        done = await second.click(message.data, alert_custom_id("dismiss", alert))
        assert done.type == 7
        assert await second.pool.fetchval("SELECT status FROM alerts WHERE id = $1", alert) == (
            "dismissed")  # fmt: skip


async def test_a_forged_button_from_another_guild_finds_nothing(h: Harness) -> None:
    message, alert = await alert_message(h)
    forged = await h.click(message.data, alert_custom_id("dismiss", alert),
                           guild_id=OTHER_GUILD, channel_id=OTHER_DEALS)  # fmt: skip
    assert forged.ephemeral
    assert f"no alert {alert} here" in forged.embeds[0]["description"]
    assert await h.pool.fetchval("SELECT status FROM alerts WHERE id = $1", alert) == "delivered"


async def test_a_burst_is_one_digest_whose_button_dismisses_it_all(h: Harness) -> None:
    seed = Seeder(h)
    watch = await seed.watch(threshold=10)
    await seed.market(watch, deals=3)  # 15 listings over the threshold: a burst
    alerts = await h.pool.fetchval("SELECT count(*) FROM alerts")
    assert alerts > 5
    assert await seed.delivery().deliver_pending() == alerts
    (digest,) = await posted(h)
    assert digest.embeds[0]["title"] == f"{alerts} new deals"
    assert [b["label"] for b in digest.components[0]["components"]] == ["Dismiss all"]
    done = await h.click(digest.data, "spt:digest:dismiss")
    assert done.type == 7
    assert f"{alerts} alert(s) dismissed" in done.embeds[0]["description"]
    assert await h.pool.fetchval("SELECT count(*) FROM alerts WHERE status = 'dismissed'") == (
        alerts)  # fmt: skip


async def test_a_429_is_waited_out_and_the_alert_still_goes_once(h: Harness) -> None:
    seed = Seeder(h)
    await seed.market(await seed.watch())
    h.fake.fail_next("POST", f"/channels/{DEALS}/messages", 429, retry_after=0.2)
    delivered = await seed.delivery().deliver_pending()
    assert delivered >= 1
    statuses = [r.status for r in h.fake.requests if r.path == f"/channels/{DEALS}/messages"]
    assert statuses[:2] == [429, 200]
    assert len(await posted(h)) == delivered
    assert await h.pool.fetchval("SELECT count(*) FROM alerts WHERE status = 'delivered'") == (
        delivered)  # fmt: skip


async def test_a_missing_channel_fails_the_alert_flags_the_watch_and_shows_in_status(
    h: Harness,
) -> None:
    seed = Seeder(h)
    watch = await seed.watch()
    await seed.market(watch)
    h.fake.remove_channel(DEALS)
    assert await seed.delivery().deliver_pending() == 0
    tries = [r for r in h.fake.requests if r.path == f"/channels/{DEALS}/messages"]
    assert {r.status for r in tries} == {404}
    assert len(tries) == await h.pool.fetchval("SELECT count(*) FROM alerts")  # no retries
    assert await h.pool.fetchval("SELECT count(*) FROM alerts WHERE status <> 'failed'") == 0
    problem = await h.pool.fetchval("SELECT delivery_error FROM watches WHERE id = $1", watch)
    assert problem == f"channel {DEALS} no longer exists (Discord: Unknown Channel)"
    status = await h.run("status", channel_id=READ_ONLY)  # the deals channel is gone
    assert "alerts undeliverable" in status.text()
    assert f"channel {DEALS} no longer exists" in status.text()
    shown = await h.run("watch show", {"watch": str(watch)}, channel_id=READ_ONLY)
    assert "Alerts cannot be delivered" in shown.text()


async def test_a_channel_without_permission_names_what_is_missing(h: Harness) -> None:
    seed = Seeder(h)
    watch = await seed.watch(channel=READ_ONLY)
    await seed.market(watch)
    assert await seed.delivery().deliver_pending() == 0
    problem = await h.pool.fetchval("SELECT delivery_error FROM watches WHERE id = $1", watch)
    assert "Missing Permissions" in problem
    assert "Send Messages and Embed Links" in problem
    # Fixed in Discord: the next alert goes out and the flag is lifted.
    h.fake.update_channel(READ_ONLY, writable=True)
    await seed.listing(watch, "30")
    await h.services.baselines.refresh()
    assert await seed.delivery().deliver_pending() == 1
    assert await h.pool.fetchval("SELECT delivery_error FROM watches WHERE id = $1", watch) is None
