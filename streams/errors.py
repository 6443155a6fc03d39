"""Wirewatch's exception tree: the errors a user can act on, each naming the place and the fix.

    Exception
    └── WirewatchError            anything wirewatch raises on purpose
        ├── SettingsError         bad configuration: names the setting and the form it accepts
        ├── BrokerError           Kafka unreachable or refusing our login: why, and what to check
        ├── FeedError             a feed that cannot be fetched or parsed: names the feed
        ├── DecodeError           bytes that are not a valid record
        ├── ContentError          an item with nothing to classify once cleaned
        ├── TaxonomyError         a topic file that does not load (streams/tagging/taxonomy.py)
        └── RulesError            a rule file that does not load (streams/alerts/rule_file.py)

The CLI prints a WirewatchError as one line and exits non-zero; any other exception is a bug and
may show as a traceback. Agents never let one escape: `guarded` turns it into a DeadLetter, and
the poller records a FeedError on the feed's status.
"""

from __future__ import annotations


class WirewatchError(Exception):
    """Base of every error wirewatch raises on purpose."""


class SettingsError(WirewatchError):
    """Bad configuration; the message names the setting and the form it accepts."""


class BrokerError(WirewatchError):
    """The broker cannot be reached, or refuses our TLS or SASL login; says which and why."""


class FeedError(WirewatchError):
    """A feed that cannot be fetched or parsed; the message names the feed."""


class DecodeError(WirewatchError):
    """Bytes that are not a valid record."""


class ContentError(WirewatchError):
    """An item whose title and summary hold no text once cleaned (e.g. only an image tag)."""
