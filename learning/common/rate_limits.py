"""Rate limits counted in the cache: how many times something was done per key (a client address, an email
address) in a window that starts with the first use and lasts a fixed time. Shared between processes only when
CACHE_URL points at a shared cache."""

import datetime
import hashlib

from django.core.cache import cache


def client_address(request) -> str:
    """The client's address, as the sign-in lockout sees it (proxy-aware: TRUSTED_PROXY_COUNT)."""
    from axes.helpers import get_client_ip_address

    return get_client_ip_address(request) or "unknown"


def over_limit(scope: str, key: str, *, limit: int, window: datetime.timedelta) -> bool:
    """Counts one more use of `scope` by `key`; true once the count in the current window passes `limit`.

    The window starts at the first use and ends when the cache lets the count expire, so no clock is read
    here and a burst cannot straddle two windows to get twice the limit. The key is hashed: any text (an
    address typed by anyone) makes a valid cache key."""
    seconds = max(int(window.total_seconds()), 1)
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    cache_key = f"rate:{scope}:{digest}"
    if cache.add(cache_key, 1, timeout=seconds):
        return limit < 1
    try:
        return cache.incr(cache_key) > limit
    except ValueError:  # the count expired between add and incr: this use starts a new window
        cache.add(cache_key, 1, timeout=seconds)
        return limit < 1
