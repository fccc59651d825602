"""YouTube: URL parsing, caption choice, titles, proxies and every failure's message.

All fetching goes through recorded responses (tests/fixtures/youtube) served by an
adapter mounted on a real requests.Session, so youtube-transcript-api runs its real code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from core.config import Config
from core.youtube import (
    LanguageInfo,
    VideoRef,
    YouTubeError,
    fetch_transcript,
    list_languages,
    looks_like_video_ref,
    parse_start,
    parse_video_ref,
    segments_from_snippets,
    title_from_html,
    watch_url,
)
from tests.fixtures.youtube.fake import (
    API_KEY,
    FIXTURES,
    VIDEO_ID,
    FakeYouTube,
    RaisingAdapter,
    fake_session,
    session_with,
)

ID = "dQw4w9WgXcQ"

# -- parsing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "start"),
    [
        (ID, None),
        (f"  {ID}\n", None),
        (f"https://www.youtube.com/watch?v={ID}", None),
        (f"http://youtube.com/watch?v={ID}&feature=share", None),
        (f"https://m.youtube.com/watch?v={ID}", None),
        (f"https://music.youtube.com/watch?v={ID}&list=RDAMVM", None),
        (f"www.youtube.com/watch?v={ID}", None),
        (f"youtube.com/watch?feature=youtu.be&v={ID}", None),
        (f"https://youtu.be/{ID}", None),
        (f"youtu.be/{ID}?si=AbCdEfGhIjKlMnOp", None),
        (f"https://youtu.be/{ID}?si=AbCdEfGhIjKl&t=42", 42),
        (f"https://www.youtube.com/shorts/{ID}", None),
        (f"https://youtube.com/shorts/{ID}?feature=share", None),
        (f"https://www.youtube.com/embed/{ID}?start=75", 75),
        (f"https://www.youtube-nocookie.com/embed/{ID}", None),
        (f"https://www.youtube.com/live/{ID}?si=x", None),
        (f"https://www.youtube.com/v/{ID}", None),
        (f"https://www.youtube.com/watch?v={ID}&t=90", 90),
        (f"https://www.youtube.com/watch?v={ID}&t=90s", 90),
        (f"https://www.youtube.com/watch?v={ID}&t=1h2m3s", 3723),
        (f"https://www.youtube.com/watch?v={ID}&t=2m", 120),
        (f"https://www.youtube.com/watch?v={ID}#t=1m30s", 90),
        (f"HTTPS://WWW.YOUTUBE.COM/watch?v={ID}", None),
        (f"https://www.youtube.com/watch?v={ID}&t=nonsense", None),
    ],
)
def test_parse_video_ref_accepts_every_shape(text: str, start: int | None) -> None:
    assert parse_video_ref(text) == VideoRef(ID, start)
    assert looks_like_video_ref(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://youtube.com/watch?v=short", "'short' is not a YouTube video id"),
        ("https://www.youtube.com/watch?v=" + ID + "x", "is not a YouTube video id"),
        ("https://www.youtube.com/channel/UCVYamHliCI9rw1tHR1xbkfw", "does not point at a video"),
        ("https://www.youtube.com/watch", "does not point at a video"),
        ("https://youtu.be/", "does not point at a video"),
        ("https://vimeo.com/12345678", "Not a YouTube URL or video id"),
        ("notes.srt", "Not a YouTube URL or video id"),
        ("", "No video given"),
    ],
)
def test_parse_video_ref_rejects_with_a_clear_message(text: str, expected: str) -> None:
    with pytest.raises(YouTubeError) as info:
        parse_video_ref(text)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message and "Traceback" not in message


def test_looks_like_video_ref_tells_urls_from_paths() -> None:
    assert looks_like_video_ref("https://youtube.com/watch?v=short")  # malformed, but YouTube
    assert not looks_like_video_ref("talk.srt")
    assert not looks_like_video_ref("notes/lecture-01.vtt")
    assert not looks_like_video_ref("https://example.com/watch?v=" + ID)
    assert not looks_like_video_ref("ten chars!")


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("90", 90), ("90s", 90), ("1h2m3s", 3723), ("1m", 60), ("1H", 3600), ("", None), ("x", None)],
)
def test_parse_start(value: str, seconds: int | None) -> None:
    assert parse_start(value) == seconds


def test_watch_url() -> None:
    assert watch_url(ID) == f"https://youtu.be/{ID}"
    assert watch_url(ID, 0) == f"https://youtu.be/{ID}"
    assert watch_url(ID, 83.9) == f"https://youtu.be/{ID}?t=83"
    assert parse_video_ref(watch_url(ID, 83)) == VideoRef(ID, 83)


# -- fetching ----------------------------------------------------------------------------


def test_fetch_prefers_manual_captions_and_builds_the_transcript() -> None:
    session, fake = fake_session()
    transcript = fetch_transcript(f"https://youtu.be/{VIDEO_ID}?t=5", session=session)
    source = transcript.source
    assert source.kind == "youtube" and source.format == "youtube"
    assert source.video_id == VIDEO_ID
    assert source.origin == f"https://youtu.be/{VIDEO_ID}"
    assert source.language == "en" and source.is_generated is False
    assert source.title == "Surface Go Review & Verdict - It's Awesome"
    fragments = [
        "Hey, this is the manual English track",
        "it's hand made across two lines",  # entities decoded, tags dropped, lines joined
        "a caption with [bold]markup[/] and [@click=app.quit]x[/]",  # kept verbatim
        "and the last line & done",
    ]
    # no sentence ends and no pause of 2 s: the fragments are one segment (the empty cue
    # is dropped); see tests/test_caption_sentences.py for how sentences are cut
    assert [(s.text, s.start, s.end) for s in transcript.segments] == [
        (" ".join(fragments), 0.0, 14.75)
    ]
    assert source.segment_count == 1 and source.duration_s == 14.75
    # the three requests the library makes, and what they must carry
    assert fake.paths() == ["/watch", "/youtubei/v1/player", "/api/timedtext"]
    watch, player, captions = fake.calls
    assert watch.query["v"] == [VIDEO_ID]
    assert player.query["key"] == [API_KEY]
    assert json.loads(player.body or b"{}")["videoId"] == VIDEO_ID
    assert captions.query["lang"] == ["en"] and "kind" not in captions.query
    assert "fmt" not in captions.query


def test_fetch_uses_generated_captions_when_no_manual_ones() -> None:
    session, fake = fake_session(player="player_generated_only.json")
    transcript = fetch_transcript(VIDEO_ID, session=session)
    assert transcript.source.is_generated is True
    assert [(s.text, s.start, s.end) for s in transcript.segments] == [
        (
            "hey this is the auto generated track with overlapping durations as youtube sends them",
            0.08,
            8.24,
        )
    ]
    assert fake.calls[-1].query["kind"] == ["asr"]


@pytest.mark.parametrize(
    ("languages", "config_languages", "code", "generated", "first_text"),
    [
        (["de"], ["en"], "de", False, "Hallo, das ist die deutsche Spur"),
        (None, ["de", "en"], "de", False, "Hallo, das ist die deutsche Spur"),
        (["ja", "fr"], ["en"], "fr", True, "bonjour"),  # first available in order
        (["fr", "en"], ["en"], "fr", True, "bonjour"),  # order beats manual-vs-generated
        (["pt"], ["en"], "pt-BR", False, "olá"),  # base language when no exact match
        ("de,en", ["en"], "de", False, "Hallo, das ist die deutsche Spur"),
    ],
)
def test_language_choice(
    languages, config_languages, code: str, generated: bool, first_text: str
) -> None:
    session, _fake = fake_session()
    config = Config(languages=config_languages)
    transcript = fetch_transcript(VIDEO_ID, languages, session=session, config=config)
    assert transcript.source.language == code
    assert transcript.source.is_generated is generated
    assert transcript.segments[0].text.startswith(first_text)


def test_missing_language_lists_what_exists() -> None:
    session, fake = fake_session()
    with pytest.raises(YouTubeError) as info:
        fetch_transcript(VIDEO_ID, ["ja", "ko"], session=session)
    message = str(info.value)
    assert info.value.reason == "no_language"
    assert "no captions in ja, ko" in message
    for listed in ("de (German)", "en (English)", "fr (French (auto-generated))", "--lang"):
        assert listed in message
    assert "/api/timedtext" not in fake.paths()  # nothing fetched beyond the list


def test_list_languages() -> None:
    session, _fake = fake_session()
    tracks = list_languages(f"https://www.youtube.com/watch?v={VIDEO_ID}", session=session)
    assert tracks == [
        LanguageInfo("de", "German", False, True),
        LanguageInfo("en", "English", False, True),
        LanguageInfo("pt-BR", "Portuguese (Brazil)", False, True),
        LanguageInfo("en", "English (auto-generated)", True, True),
        LanguageInfo("fr", "French (auto-generated)", True, False),
    ]
    assert tracks[0].to_dict() == {
        "code": "de",
        "name": "German",
        "is_generated": False,
        "translatable": True,
    }


def test_title_argument_wins_and_untitled_page_falls_back_to_player_then_id() -> None:
    session, _fake = fake_session()
    assert fetch_transcript(VIDEO_ID, session=session, title="Mine").source.title == "Mine"
    session, _fake = fake_session(watch="watch_untitled.html")
    # no title in the page: videoDetails from the player response the library fetched
    assert fetch_transcript(VIDEO_ID, session=session).source.title == (
        "Surface Go Review - It\u2019s Awesome"
    )


def test_title_falls_back_to_the_video_id(monkeypatch: pytest.MonkeyPatch) -> None:
    from core import youtube

    monkeypatch.setattr(youtube._PageCapture, "title", lambda self: None)
    session, _fake = fake_session()
    assert fetch_transcript(VIDEO_ID, session=session).source.title == VIDEO_ID


def test_title_from_html_variants() -> None:
    page = (FIXTURES / "watch.html").read_text(encoding="utf-8")
    assert title_from_html(page) == "Surface Go Review & Verdict - It's Awesome"
    assert title_from_html("<title>A &amp; B - YouTube</title>") == "A & B"
    assert title_from_html("<TITLE>\n  Spaced\n  out - YouTube </TITLE>") == "Spaced out"
    assert title_from_html('<meta content="By content" name="title">') == "By content"
    assert title_from_html("<meta property='og:title' content='OG &quot;t&quot;'>") == 'OG "t"'
    assert title_from_html("<title>YouTube</title>") is None
    assert title_from_html("no html here") is None


def test_title_hook_is_removed_from_a_callers_session() -> None:
    session, _fake = fake_session()
    fetch_transcript(VIDEO_ID, session=session)
    assert session.hooks["response"] == []


def test_consent_page_is_passed_and_the_real_page_gives_the_title() -> None:
    session, fake = fake_session(consent_first=True)
    transcript = fetch_transcript(VIDEO_ID, session=session)
    assert fake.paths()[:2] == ["/watch", "/watch"]
    assert "CONSENT=YES+" in fake.calls[1].headers.get("Cookie", "")
    assert transcript.source.title == "Surface Go Review & Verdict - It's Awesome"


def test_segments_from_snippets_clamps_only_real_overlaps() -> None:
    class Snip:
        def __init__(self, text: str, start: float, duration: float) -> None:
            self.text, self.start, self.duration = text, start, duration

    segments = segments_from_snippets(
        [Snip("a", 0, 5), Snip("  ", 1, 1), Snip("b", 2, 1), Snip("c", 10, 0), Snip("d", 9, 2)]
    )
    assert [(s.text, s.start, s.end) for s in segments] == [
        ("a", 0.0, 2.0),
        ("b", 2.0, 3.0),  # a gap before the next cue is kept
        ("c", 10.0, 10.0),
        ("d", 9.0, 11.0),  # out-of-order starts are left alone
    ]


# -- failures ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "reason", "words"),
    [
        ({"watch_status": 429}, "blocked", ["blocking", "proxy_https", "webshare_username"]),
        ({"watch": "captcha.html"}, "blocked", ["blocking", "proxy", "transcript file"]),
        ({"player": "player_bot_check.json"}, "blocked", ["blocking", "proxy"]),
        ({"player": "player_disabled.json"}, "disabled", ["no captions", "transcript file"]),
        ({"player": "player_unavailable.json"}, "unavailable", ["unavailable", "Check the URL"]),
        ({"player": "player_unplayable.json"}, "unplayable", ["will not play", "country"]),
        ({"player": "player_age_restricted.json"}, "age_restricted", ["age-restricted"]),
        ({"player": "player_po_token.json"}, "po_token", ["proof-of-origin token"]),
        ({"player_status": 500}, "request_failed", ["request to YouTube failed", "500"]),
        ({"timedtext_status": 429}, "blocked", ["blocking"]),
        ({"timedtext": {"en": "timedtext_empty.xml"}}, "empty", ["empty"]),
        ({"timedtext": {"en": "watch.html"}}, "unreadable", ["could not be read"]),
    ],
)
def test_each_failure_is_one_clear_line(kwargs: dict, reason: str, words: list[str]) -> None:
    session, _fake = fake_session(**kwargs)
    with pytest.raises(YouTubeError) as info:
        fetch_transcript(VIDEO_ID, session=session)
    message = str(info.value)
    assert info.value.reason == reason
    assert info.value.video_id == VIDEO_ID
    for word in words:
        assert word in message
    assert "\n" not in message and "Traceback" not in message
    assert "github.com/jdepoix" not in message  # the library's long text is not passed on


def test_blocked_through_a_proxy_says_so(ponder_home) -> None:
    session, fake = fake_session(watch_status=429)
    config = Config(proxy_https="http://proxy.example:3128")
    with pytest.raises(YouTubeError) as info:
        fetch_transcript(VIDEO_ID, session=session, config=config)
    assert "even through the configured proxy" in str(info.value)
    assert fake.calls[0].proxies.get("https") == "http://proxy.example:3128"


@pytest.mark.parametrize(
    ("error", "reason", "words"),
    [
        (requests.ConnectionError("Name or service not known"), "offline", ["offline?"]),
        (requests.ConnectTimeout("timed out"), "timeout", ["did not answer in time"]),
        (requests.ReadTimeout("read timed out"), "timeout", ["did not answer in time"]),
        (requests.exceptions.ProxyError("Cannot connect to proxy"), "proxy", ["proxy_https"]),
    ],
)
def test_network_failures(error: Exception, reason: str, words: list[str]) -> None:
    adapter = RaisingAdapter(error)
    session = session_with(adapter)
    for call in (
        lambda: fetch_transcript(VIDEO_ID, session=session),
        lambda: list_languages(VIDEO_ID, session=session),
    ):
        with pytest.raises(YouTubeError) as info:
            call()
        assert info.value.reason == reason
        for word in words:
            assert word in str(info.value)
    assert adapter.calls == 2


def test_list_languages_maps_errors_too() -> None:
    session, _fake = fake_session(player="player_disabled.json")
    with pytest.raises(YouTubeError) as info:
        list_languages(VIDEO_ID, session=session)
    assert info.value.reason == "disabled"


def test_malformed_ref_fails_before_any_request() -> None:
    session, fake = fake_session()
    with pytest.raises(YouTubeError):
        fetch_transcript("https://youtube.com/watch?v=short", session=session)
    assert fake.calls == []


# -- sessions and proxies ------------------------------------------------------------------


def test_session_factory_is_used_when_no_session_given(monkeypatch: pytest.MonkeyPatch) -> None:
    from core import youtube

    adapter = FakeYouTube()
    monkeypatch.setattr(youtube, "_session_factory", lambda: session_with(adapter))
    assert fetch_transcript(VIDEO_ID).source.video_id == VIDEO_ID
    assert len(adapter.calls) == 3


def test_default_session_sets_a_timeout() -> None:
    from core.youtube import DEFAULT_TIMEOUT, _default_session

    seen: list[object] = []

    class Spy(FakeYouTube):
        def send(self, request, stream=False, timeout=None, **kwargs):
            seen.append(timeout)
            return super().send(request, stream=stream, timeout=timeout, **kwargs)

    session = _default_session()
    session.mount("https://", Spy())
    fetch_transcript(VIDEO_ID, session=session)
    assert seen and all(t == DEFAULT_TIMEOUT for t in seen)


def test_environment_proxies_still_apply(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://env-proxy.example:8080")
    session, fake = fake_session()
    fetch_transcript(VIDEO_ID, session=session)
    assert all(call.proxies.get("https") == "http://env-proxy.example:8080" for call in fake.calls)


def test_config_proxy_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://env-proxy.example:8080")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    session, fake = fake_session()
    config = Config(proxy_http="http://cfg-proxy.example:3128")
    fetch_transcript(VIDEO_ID, session=session, config=config)
    assert fake.calls and all(
        call.proxies.get("https") == "http://cfg-proxy.example:3128" for call in fake.calls
    )
    assert session.verify == "/etc/ssl/certs/ca-certificates.crt"


def test_proxy_config_from_settings() -> None:
    from youtube_transcript_api.proxies import GenericProxyConfig, WebshareProxyConfig

    from core.youtube import _proxy_config

    assert _proxy_config(Config()) is None
    generic = _proxy_config(Config(proxy_https="http://h:1"))
    assert isinstance(generic, GenericProxyConfig)
    assert generic.to_requests_dict() == {"http": "http://h:1", "https": "http://h:1"}
    webshare = _proxy_config(
        Config(webshare_username="user", webshare_password="pw", proxy_https="http://h:1")
    )
    assert isinstance(webshare, WebshareProxyConfig)
    assert webshare.url == "http://user-rotate:pw@p.webshare.io:80/"
    # only a username is not enough for Webshare
    assert _proxy_config(Config(webshare_username="user")) is None


def test_the_packages_own_recorded_responses() -> None:
    """The full-size watch page, player JSON and captions youtube-transcript-api ships."""
    import youtube_transcript_api

    assets = Path(youtube_transcript_api.__file__).parent / "test" / "assets"
    if not (assets / "youtube.html.static").exists():
        pytest.skip("youtube-transcript-api installed without its test assets")
    session, fake = fake_session(
        watch=str(assets / "youtube.html.static"),
        player=str(assets / "youtube.innertube.json.static"),
        timedtext={"en": str(assets / "transcript.xml.static")},
    )
    transcript = fetch_transcript(VIDEO_ID, session=session)
    assert transcript.source.title == "Surface Go Review - It\u2019s Awesome"
    fragments = [
        "Hey, this is just a test",
        "this is not the original transcript",
        "just something shorter, I made up for testing",
    ]
    assert [(s.text, s.start, s.end) for s in transcript.segments] == [
        (" ".join(fragments), 0.0, 8.939)
    ]
    assert fake.calls[-1].query["lang"] == ["en"]


def test_a_refused_proxy_is_one_readable_line() -> None:
    """A real connection to a closed loopback port through requests and urllib3."""
    import socket

    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = Config(proxy_https=f"http://127.0.0.1:{port}", proxy_http=f"http://127.0.0.1:{port}")
    with pytest.raises(YouTubeError) as info:
        fetch_transcript(VIDEO_ID, session=requests.Session(), config=config)
    message = str(info.value)
    assert info.value.reason == "proxy"
    assert "through the proxy (connection refused)" in message
    for noise in ("HTTPSConnection", "object at 0x", "Max retries", "\n"):
        assert noise not in message
