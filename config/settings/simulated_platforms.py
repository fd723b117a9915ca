"""Every platform API pointed at the platform simulator (clients/simulator), for `make run`
and the tests. Star-imported by those settings only; each URL can still be overridden alone."""

from config.env import env_str

SIMULATOR_URL = env_str("PARLEY_SIMULATOR_URL", "http://127.0.0.1:8100").rstrip("/")


def simulated_base_urls(simulator_url: str) -> dict[str, str]:
    """The base URL of each platform's API on a simulator at `simulator_url` (same paths as
    the real hosts, so the simulator tells platforms apart by path)."""
    return {
        "META_GRAPH_BASE_URL": f"{simulator_url}/v21.0",
        "X_API_BASE_URL": f"{simulator_url}/2",
        "GOOGLE_BUSINESS_BASE_URL": f"{simulator_url}/v4",
        "YOUTUBE_BASE_URL": f"{simulator_url}/youtube/v3",
        "LINKEDIN_BASE_URL": f"{simulator_url}/rest",
        "TIKTOK_BASE_URL": f"{simulator_url}/open_api/v1.3",
    }


_SIMULATED = simulated_base_urls(SIMULATOR_URL)
META_GRAPH_BASE_URL = env_str("PARLEY_META_GRAPH_BASE_URL", _SIMULATED["META_GRAPH_BASE_URL"])
X_API_BASE_URL = env_str("PARLEY_X_API_BASE_URL", _SIMULATED["X_API_BASE_URL"])
GOOGLE_BUSINESS_BASE_URL = env_str(
    "PARLEY_GOOGLE_BUSINESS_BASE_URL", _SIMULATED["GOOGLE_BUSINESS_BASE_URL"]
)
YOUTUBE_BASE_URL = env_str("PARLEY_YOUTUBE_BASE_URL", _SIMULATED["YOUTUBE_BASE_URL"])
LINKEDIN_BASE_URL = env_str("PARLEY_LINKEDIN_BASE_URL", _SIMULATED["LINKEDIN_BASE_URL"])
TIKTOK_BASE_URL = env_str("PARLEY_TIKTOK_BASE_URL", _SIMULATED["TIKTOK_BASE_URL"])


def simulated_oauth_providers(simulator_url: str) -> dict[str, dict[str, str]]:
    """Every provider's OAuth endpoints on the simulator, with demo app credentials."""
    return {
        name: {
            "authorize_url": f"{simulator_url}/oauth/{name}/authorize",
            "token_url": f"{simulator_url}/oauth/{name}/token",
            "revoke_url": f"{simulator_url}/oauth/{name}/revoke",
            "client_id": f"demo-{name}-client",
            "client_secret": f"demo-{name}-secret",
        }
        for name in ("meta", "x", "google", "linkedin", "tiktok")
    }


OAUTH_PROVIDERS = simulated_oauth_providers(SIMULATOR_URL)
