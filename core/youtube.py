"""YouTube transcripts: parsing what users paste, fetching captions, explaining failures.

youtube-transcript-api accepts only bare 11-character ids, so URLs are parsed here. Each
fetch builds its own `YouTubeTranscriptApi` (the library is not thread-safe) around a
`requests.Session`; tests inject a session that serves recorded responses, and the
module-level `_session_factory` lets the CLI tests do the same. Every failure becomes a
`YouTubeError` whose message is one line saying what happened and what to do.

Heavy imports (requests, youtube_transcript_api) happen inside functions so that
`ponder --help` stays fast.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from core.caption_sentences import join_into_sentences
from core.models import Segment, Source, Transcript

if TYPE_CHECKING:
    import requests

    from core.config import Config

WATCH_PAGE_URL = "https://www.youtube.com/watch?v={video_id}"
SHORT_URL = "https://youtu.be/{video_id}"
# Connect and read timeouts for our own sessions: the library passes none, and a
# stalled connection should end in a message rather than a hang.
DEFAULT_TIMEOUT = (10.0, 30.0)

_VIDEO_ID = re.compile(r"[A-Za-z0-9_-]{11}")
_PATH_KINDS = ("shorts", "embed", "live", "v", "e")
_START = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?")


class YouTubeError(Exception):
    """A fetch or parse failure; str() is one line saying what happened and what to do.

    `reason` is a short stable code the UI can branch on: "invalid", "blocked",
    "disabled", "no_language", "unavailable", "unplayable", "age_restricted",
    "po_token", "request_failed", "offline", "timeout", "proxy", "unreadable", "empty".
    """

    def __init__(self, message: str, *, reason: str = "invalid", video_id: str | None = None):
        super().__init__(message)
        self.reason = reason
        self.video_id = video_id


@dataclass(frozen=True, slots=True)
class VideoRef:
    """A video id and, when the URL carried one, the second to start at."""

    video_id: str
    start_s: int | None = None


@dataclass(frozen=True, slots=True)
class LanguageInfo:
    """One caption track YouTube offers for a video."""

    code: str
    name: str
    is_generated: bool
    translatable: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "is_generated": self.is_generated,
            "translatable": self.translatable,
        }


# -- parsing what the user pasted ---------------------------------------------------


def _is_youtube_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    if host in ("youtu.be", "www.youtu.be"):
        return True
    return any(
        host == domain or host.endswith("." + domain)
        for domain in ("youtube.com", "youtube-nocookie.com")
    )


def _split_url(text: str) -> tuple[str, Any] | None:
    """(host, SplitResult) when `text` reads as a URL, with or without a scheme."""
    candidate = text if "://" in text else "https://" + text
    try:
        parts = urlsplit(candidate)
        host = parts.hostname or ""
    except ValueError:
        return None
    if "." not in host:
        return None
    return host, parts


def parse_start(value: str) -> int | None:
    """Seconds from a YouTube time parameter: `90`, `90s`, `1h2m3s`, `2m`; None if unreadable."""
    value = value.strip().lower()
    match = _START.fullmatch(value)
    if not value or match is None or not any(match.groups()):
        return None
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def parse_video_ref(text: str) -> VideoRef:
    """The video in a bare id or any YouTube URL shape; YouTubeError if there is none."""
    text = (text or "").strip()
    if not text:
        raise YouTubeError("No video given: paste a YouTube URL or an 11-character video id.")
    if _VIDEO_ID.fullmatch(text):
        return VideoRef(text, None)
    split = _split_url(text)
    if split is None or not _is_youtube_host(split[0]):
        raise YouTubeError(
            f"Not a YouTube URL or video id: {text!r}. Paste a link such as "
            "https://youtu.be/VIDEO_ID or the 11-character id."
        )
    host, parts = split
    query = parse_qs(parts.query)
    fragment = parse_qs(parts.fragment)
    segments = [piece for piece in parts.path.split("/") if piece]
    candidate: str | None = None
    if host.lower().endswith("youtu.be"):
        candidate = segments[0] if segments else None
    elif len(segments) >= 2 and segments[0].lower() in _PATH_KINDS:
        candidate = segments[1]
    elif segments and segments[0].lower() == "watch":
        candidate = (query.get("v") or [None])[0]
        if candidate is None and len(segments) >= 2:
            candidate = segments[1]
    if candidate is None:
        raise YouTubeError(
            f"This YouTube URL does not point at a video: {text!r}. Use the video's own "
            "link (watch?v=..., youtu.be/..., /shorts/...)."
        )
    if not _VIDEO_ID.fullmatch(candidate):
        raise YouTubeError(
            f"{candidate!r} is not a YouTube video id (ids are 11 letters, digits, - or _): "
            f"check the URL {text!r}."
        )
    start: int | None = None
    for mapping, key in ((query, "t"), (query, "start"), (fragment, "t"), (query, "time_continue")):
        if key in mapping:
            start = parse_start(mapping[key][0])
            if start is not None:
                break
    return VideoRef(candidate, start)


def looks_like_video_ref(text: str) -> bool:
    """True for a bare video id or anything on a YouTube host (even a malformed one).

    The importer asks this only after checking that no file of that name exists, and a
    malformed YouTube URL should get a YouTube message rather than "no such file".
    """
    text = (text or "").strip()
    if _VIDEO_ID.fullmatch(text):
        return True
    split = _split_url(text)
    return split is not None and _is_youtube_host(split[0])


def watch_url(video_id: str, start_s: int | float | None = None) -> str:
    """The short link users share; with `?t=N` when a start second is given."""
    url = SHORT_URL.format(video_id=video_id)
    if start_s is not None and int(start_s) > 0:
        url += f"?t={int(start_s)}"
    return url


# -- sessions, proxies and the library instance -----------------------------------


def _default_session() -> requests.Session:
    """A requests.Session whose requests time out instead of hanging forever."""
    import requests

    class _TimeoutSession(requests.Session):
        def request(self, method, url, *args, **kwargs):  # type: ignore[override]
            kwargs.setdefault("timeout", DEFAULT_TIMEOUT)
            return super().request(method, url, *args, **kwargs)

    return _TimeoutSession()


# Tests replace this to serve recorded responses (see tests/fixtures/youtube).
_session_factory: Callable[[], requests.Session] = _default_session


def _proxy_config(config: Config) -> Any:
    """GenericProxyConfig / WebshareProxyConfig from the config file, or None."""
    from youtube_transcript_api.proxies import GenericProxyConfig, WebshareProxyConfig

    if config.webshare_username and config.webshare_password:
        return WebshareProxyConfig(config.webshare_username, config.webshare_password)
    if config.proxy_http or config.proxy_https:
        return GenericProxyConfig(config.proxy_http or None, config.proxy_https or None)
    return None


def _make_api(session: requests.Session, proxy_config: Any) -> Any:
    """One YouTubeTranscriptApi per call (it is not thread-safe).

    Without a configured proxy the session keeps requests' usual behaviour, so
    HTTPS_PROXY/HTTP_PROXY/NO_PROXY from the environment apply. With one, the session
    stops reading proxies from the environment: requests lets environment proxies win
    over `session.proxies`, which would silently bypass the proxy the user configured.
    A CA bundle named in the environment is kept.
    """
    import os

    from youtube_transcript_api import YouTubeTranscriptApi

    if proxy_config is not None and session.trust_env:
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if bundle and session.verify is True:
            session.verify = bundle
        session.trust_env = False
    return YouTubeTranscriptApi(proxy_config=proxy_config, http_client=session)


def _load_config(config: Config | None) -> Config:
    """The caller's configuration, else the defaults (only entry points read the file)."""
    if config is not None:
        return config
    from core.config import Config

    return Config()


# -- turning library exceptions into messages ---------------------------------------


def _config_file() -> str:
    from core.paths import config_path

    return str(config_path())


def _short_reason(text: str) -> str:
    """The first line of a requests/HTTP error, without the signed URL it usually ends in."""
    first = (text or "").strip().splitlines()[0] if (text or "").strip() else ""
    return first.split(" for url:")[0].strip()[:160]


_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")
_TUNNEL = re.compile(r"Tunnel connection failed: ([^'\")\]]+)")


def _proxy_reason(text: str) -> str:
    """What went wrong with the proxy, from urllib3's nested repr, in a few words."""
    for pattern in (_TUNNEL, _ERRNO):
        found = pattern.search(text or "")
        if found:
            return found.group(1).strip().rstrip(".")[:80].lower()
    return "the proxy refused or did not answer"


def _blocked_message(video_id: str, proxied: bool) -> str:
    if proxied:
        return (
            f"YouTube is blocking requests for video {video_id} even through the configured "
            "proxy. A rotating residential proxy (webshare_username/webshare_password in "
            f"{_config_file()}) works most reliably; or import a saved transcript file."
        )
    return (
        f"YouTube is blocking requests from this network for video {video_id} (common on "
        "cloud servers and VPNs). Use a proxy: set proxy_https/proxy_http or "
        f"webshare_username/webshare_password in {_config_file()} (or the HTTPS_PROXY "
        "environment variable), or import a saved transcript file instead."
    )


@contextmanager
def _explained(video_id: str, proxied: bool) -> Iterator[None]:
    """Re-raise anything youtube-transcript-api or requests throws as a YouTubeError."""
    import xml.etree.ElementTree as ElementTree

    import requests
    from youtube_transcript_api import _errors as yta

    try:
        yield
    except YouTubeError:
        raise
    except yta.RequestBlocked:  # IpBlocked is a subclass
        raise YouTubeError(
            _blocked_message(video_id, proxied), reason="blocked", video_id=video_id
        ) from None
    except yta.TranscriptsDisabled:
        raise YouTubeError(
            f"Video {video_id} has no captions (subtitles are turned off), so there is no "
            "transcript to fetch. If you have a transcript file for it, import that instead.",
            reason="disabled",
            video_id=video_id,
        ) from None
    except yta.InvalidVideoId:
        raise YouTubeError(
            f"YouTube says {video_id!r} is not a valid video id. Check the URL.",
            reason="invalid",
            video_id=video_id,
        ) from None
    except yta.VideoUnavailable:
        raise YouTubeError(
            f"Video {video_id} is unavailable (removed, private, or a mistyped id). "
            "Check the URL in a browser.",
            reason="unavailable",
            video_id=video_id,
        ) from None
    except yta.AgeRestricted:
        raise YouTubeError(
            f"Video {video_id} is age-restricted: YouTube gives its captions only to "
            "signed-in viewers, which Ponder cannot do. Import a saved transcript file instead.",
            reason="age_restricted",
            video_id=video_id,
        ) from None
    except yta.VideoUnplayable as error:
        details = "; ".join(
            part.strip() for part in [error.reason or "", *error.sub_reasons] if part.strip()
        )
        raise YouTubeError(
            f"YouTube will not play video {video_id}"
            + (f" ({_short_reason(details)})" if details else "")
            + ". Check the URL in a browser, or import a saved transcript file.",
            reason="unplayable",
            video_id=video_id,
        ) from None
    except yta.PoTokenRequired:
        raise YouTubeError(
            f"YouTube now demands a proof-of-origin token for the captions of video "
            f"{video_id}, which Ponder cannot supply. Try again later or import a saved "
            "transcript file.",
            reason="po_token",
            video_id=video_id,
        ) from None
    except yta.YouTubeRequestFailed as error:
        raise YouTubeError(
            f"A request to YouTube failed for video {video_id} ({_short_reason(error.reason)}). "
            "Try again later; if it keeps failing, import a saved transcript file.",
            reason="request_failed",
            video_id=video_id,
        ) from None
    except yta.CouldNotRetrieveTranscript:
        raise YouTubeError(
            f"YouTube's answer for video {video_id} could not be understood (its pages change "
            "from time to time). Try again later, or update youtube-transcript-api.",
            reason="unreadable",
            video_id=video_id,
        ) from None
    except requests.exceptions.ProxyError as error:
        raise YouTubeError(
            f"Could not connect through the proxy ({_proxy_reason(str(error))}). Check "
            f"proxy_http/proxy_https in {_config_file()} or the HTTPS_PROXY variable.",
            reason="proxy",
            video_id=video_id,
        ) from None
    except requests.exceptions.Timeout:
        raise YouTubeError(
            f"YouTube did not answer in time for video {video_id} (offline or a slow "
            "network?). Check your connection and try again.",
            reason="timeout",
            video_id=video_id,
        ) from None
    except requests.exceptions.ConnectionError:
        raise YouTubeError(
            f"Could not reach YouTube to fetch video {video_id} (offline?). Check your "
            "network connection and proxy settings, then try again.",
            reason="offline",
            video_id=video_id,
        ) from None
    except (requests.exceptions.RequestException, ValueError, ElementTree.ParseError) as error:
        # ValueError covers unreadable JSON; ParseError unreadable caption XML.
        raise YouTubeError(
            f"YouTube's answer for video {video_id} could not be read "
            f"({_short_reason(str(error)) or type(error).__name__}). Try again later.",
            reason="unreadable",
            video_id=video_id,
        ) from None


# -- the watch page: title ----------------------------------------------------------

_META_TAG = re.compile(r"<meta\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""([a-zA-Z:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_TITLE_TAG = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _clean_title(raw: str) -> str | None:
    text = " ".join(html.unescape(raw).split())
    return text or None


def title_from_html(page: str) -> str | None:
    """The video title from watch-page HTML: `<meta name="title">`, og:title, or `<title>`."""
    wanted = {"title": None, "og:title": None}
    for tag in _META_TAG.finditer(page):
        attrs = {
            m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
            for m in _ATTR.finditer(tag.group(0))
        }
        key = attrs.get("name") or attrs.get("property")
        if key in wanted and wanted[key] is None and attrs.get("content"):
            wanted[key] = _clean_title(attrs["content"])
    for key in ("title", "og:title"):
        if wanted[key]:
            return wanted[key]
    match = _TITLE_TAG.search(page)
    if match:
        title = _clean_title(match.group(1))
        if title and title.endswith(" - YouTube"):
            title = title[: -len(" - YouTube")].strip()
        if title and title != "YouTube":
            return title
    return None


def _decoded(response: Any) -> str:
    """Response text without requests' charset guessing (slow on a 1 MB page)."""
    try:
        return response.content.decode(response.encoding or "utf-8", errors="replace")
    except (LookupError, TypeError):
        return response.content.decode("utf-8", errors="replace")


class _PageCapture:
    """A response hook keeping the watch page and player JSON the library fetches anyway.

    youtube-transcript-api GETs the watch page (for its API key) and POSTs the player
    endpoint, but exposes neither; reading the title from them saves a second request.
    """

    def __init__(self) -> None:
        self.watch_page: Any = None
        self.player: Any = None

    def __call__(self, response: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            url = response.url or ""
            if response.status_code != 200:
                return response
            if "/watch" in url:
                self.watch_page = response
            elif "/youtubei/v1/player" in url:
                self.player = response
        except Exception:  # a hook must never break the fetch itself
            pass
        return response

    @contextmanager
    def attached(self, session: requests.Session) -> Iterator[None]:
        hooks = session.hooks.setdefault("response", [])
        hooks.append(self)
        try:
            yield
        finally:
            if self in hooks:
                hooks.remove(self)

    def title(self) -> str | None:
        if self.watch_page is not None:
            found = title_from_html(_decoded(self.watch_page))
            if found:
                return found
        if self.player is not None:
            try:
                raw = self.player.json().get("videoDetails", {}).get("title")
            except Exception:
                raw = None
            if isinstance(raw, str):
                return _clean_title(raw)
        return None


def _title_from_watch_page(session: requests.Session, video_id: str) -> str | None:
    """A separate GET of the watch page, used only if the fetch did not capture one."""
    try:
        response = session.get(WATCH_PAGE_URL.format(video_id=video_id), timeout=10)
        if response.status_code != 200:
            return None
        return title_from_html(response.text)
    except Exception:
        return None


# -- choosing and converting captions -----------------------------------------------


def _clean_languages(languages: list[str] | tuple[str, ...] | str | None) -> list[str]:
    if languages is None:
        return []
    if isinstance(languages, str):
        languages = [languages]
    codes: list[str] = []
    for item in languages:
        for code in str(item).replace(",", " ").split():
            if code not in codes:
                codes.append(code)
    return codes


def _choose(transcript_list: Any, wanted: list[str]) -> Any | None:
    """Preferred languages in order; manual before generated; then same base language."""
    tracks = list(transcript_list)  # manual first, as the library iterates
    for code in wanted:
        for track in tracks:
            if track.language_code == code and not track.is_generated:
                return track
        for track in tracks:
            if track.language_code == code:
                return track
    for code in wanted:
        base = code.split("-")[0].lower()
        for generated in (False, True):
            for track in tracks:
                if (
                    track.is_generated is generated
                    and track.language_code.split("-")[0].lower() == base
                ):
                    return track
    return None


def _describe_tracks(tracks: list[LanguageInfo]) -> str:
    if not tracks:
        return "none"
    described = []
    for track in tracks:
        name = track.name
        if track.is_generated and "auto" not in name.lower():
            name += ", auto-generated"
        described.append(f"{track.code} ({name})")
    return ", ".join(described)


def _language_infos(transcript_list: Any) -> list[LanguageInfo]:
    return [
        LanguageInfo(
            code=track.language_code,
            name=track.language,
            is_generated=bool(track.is_generated),
            translatable=bool(track.is_translatable),
        )
        for track in transcript_list
    ]


def segments_from_snippets(snippets: Any) -> list[Segment]:
    """Segments with whitespace tidied, empty cues dropped, and overlaps clamped.

    YouTube's `duration` is how long a caption stays on screen, so a cue often ends
    after the next one starts; each end is clamped to the next start.
    """
    cues: list[tuple[str, float, float]] = []
    for snippet in snippets:
        text = " ".join(str(snippet.text).split())
        if not text:
            continue
        start = max(0.0, float(snippet.start))
        duration = max(0.0, float(snippet.duration or 0.0))
        cues.append((text, start, start + duration))
    segments = []
    for index, (text, start, end) in enumerate(cues):
        if index + 1 < len(cues):
            next_start = cues[index + 1][1]
            if start <= next_start < end:
                end = next_start
        segments.append(Segment(text=text, start=round(start, 3), end=round(end, 3)))
    return segments


# -- the public entry points --------------------------------------------------------


def _as_ref(text_or_ref: str | VideoRef) -> VideoRef:
    return text_or_ref if isinstance(text_or_ref, VideoRef) else parse_video_ref(text_or_ref)


def fetch_transcript(
    text_or_ref: str | VideoRef,
    languages: list[str] | None = None,
    *,
    session: requests.Session | None = None,
    config: Config | None = None,
    title: str | None = None,
) -> Transcript:
    """Fetch a video's captions as a Transcript; raises YouTubeError with a clear message.

    `languages` (codes in order of preference) overrides `config.languages`; manual
    captions win over auto-generated ones in the same language.
    """
    ref = _as_ref(text_or_ref)
    config = _load_config(config)
    wanted = _clean_languages(languages) or _clean_languages(config.languages) or ["en"]
    session = session if session is not None else _session_factory()
    capture = _PageCapture()
    proxy_config = _proxy_config(config)
    with _explained(ref.video_id, proxied=proxy_config is not None):
        api = _make_api(session, proxy_config)
        with capture.attached(session):
            transcript_list = api.list(ref.video_id)
        track = _choose(transcript_list, wanted)
        if track is None:
            available = _language_infos(transcript_list)
            raise YouTubeError(
                f"Video {ref.video_id} has no captions in {', '.join(wanted)}; available: "
                f"{_describe_tracks(available)}. Choose one with --lang CODE (or set "
                "languages in the config file).",
                reason="no_language",
                video_id=ref.video_id,
            )
        fetched = track.fetch()
    segments = join_into_sentences(segments_from_snippets(fetched.snippets))
    if not segments:
        raise YouTubeError(
            f"The {track.language_code} captions of video {ref.video_id} are empty. "
            "Try another language (ponder languages URL) or import a transcript file.",
            reason="empty",
            video_id=ref.video_id,
        )
    chosen_title = (title or "").strip() or capture.title()
    if not chosen_title and capture.watch_page is None:
        chosen_title = _title_from_watch_page(session, ref.video_id)
    source = Source(
        title=chosen_title or ref.video_id,
        origin=watch_url(ref.video_id),
        kind="youtube",
        video_id=ref.video_id,
        language=fetched.language_code,
        is_generated=bool(fetched.is_generated),
        format="youtube",
    )
    return Transcript(source, segments).with_counts()


def list_languages(
    text_or_ref: str | VideoRef,
    *,
    session: requests.Session | None = None,
    config: Config | None = None,
) -> list[LanguageInfo]:
    """The caption tracks YouTube offers for a video, manual ones first."""
    ref = _as_ref(text_or_ref)
    config = _load_config(config)
    session = session if session is not None else _session_factory()
    proxy_config = _proxy_config(config)
    with _explained(ref.video_id, proxied=proxy_config is not None):
        api = _make_api(session, proxy_config)
        return _language_infos(api.list(ref.video_id))
