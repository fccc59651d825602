"""A transcript's study notes as Markdown: every section, links at the right second, and
untrusted text that cannot inject structure or escape codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.chat.models import Citation, Focus
from core.chat.store import ConversationStore
from core.library import Library
from core.models import Highlight, Segment, Source, Transcript
from decks.markdown_export import MarkdownExportError, markdown_export, write_markdown_export
from decks.models import SourceRef
from decks.repository import CardStore

VIDEO = "dQw4w9WgXcQ"


@pytest.fixture
def material(ponder_home: Path):
    library = Library()
    source_id = library.add(
        Transcript(
            Source(
                title="Energy [and] *entropy*\x1b]0;pwned\x07",
                origin=f"https://www.youtube.com/watch?v={VIDEO}",
                kind="youtube",
                video_id=VIDEO,
                language="en",
            ),
            [
                Segment("Welcome to the talk.", 0.0, 12.0),
                Segment("Entropy always grows in a closed system.", 12.0, 75.0),
                Segment("That is the second law.", 75.0, 130.0),
            ],
        )
    ).source_id
    library.add_highlight(Highlight(source_id, 1, 2, start_char=8, note="key <idea>"))
    chats = ConversationStore(library.conn)
    chats.save_guide(
        source_id,
        "ideas",
        "1. **Entropy grows** in closed systems.",
        [Citation(1, 1, "Entropy always grows", "00:12", start=0, end=39)],
    )
    conversation = chats.create(source_id)
    chats.add_user_message(
        conversation.id,
        "Why does it grow?",
        focus=Focus(1, 1, "Entropy always grows in a closed system."),
        status="complete",
    )
    answer = chats.start_assistant_message(conversation.id, "claude-sonnet-5-5")
    chats.finish_assistant_message(
        answer.id,
        text="Because there are more disordered states.",
        citations=[Citation(2, 2, "second law", "01:15", start=0, end=41)],
    )
    store = CardStore(library.conn)
    store.create_note(
        "basic",
        "What always grows?",
        "Entropy",
        deck="Physics",
        tags=["thermo"],
        source=SourceRef(source_id, first_segment=1, last_segment=1),
    )
    store.create_note(
        "cloze",
        "The {{c1::second}} law",
        "",
        deck="Physics",
        source=SourceRef(source_id, first_segment=2),
    )
    yield library, source_id
    library.close()


def test_every_section_with_timestamp_links(material) -> None:
    library, source_id = material
    text = markdown_export(source_id, conn=library.conn)
    lines = text.splitlines()
    assert lines[0].startswith("# Energy \\[and\\] \\*entropy\\*")
    assert "\x1b" not in text and "\x07" not in text  # escape codes made visible
    assert f"Video: <https://youtu.be/{VIDEO}>" in text
    sections = [line for line in lines if line.startswith("## ")]
    assert sections == ["## Study guide", "## Highlights", "## Conversations", "## Cards"]
    assert "### Central ideas" in text
    assert f"in closed systems. [00:12](https://youtu.be/{VIDEO}?t=12)" in text
    highlight = next(line for line in lines if line.startswith("- [00:12]"))
    assert f"(https://youtu.be/{VIDEO}?t=12)" in highlight
    assert "always grows in a closed system. That is the second law." in highlight
    assert "*Note:* key \\<idea\\>" in text
    assert "**You:** Why does it grow?" in text
    assert "> Entropy always grows in a closed system." in text
    assert f"disordered states. [01:15](https://youtu.be/{VIDEO}?t=75)" in text
    assert "- **Q:** What always grows?" in text and "**A:** Entropy" in text
    assert "deck Physics · basic · tags thermo · [00:12]" in text
    assert "- The **second** law" in text


def test_a_bare_source_has_only_its_header(ponder_home: Path) -> None:
    library = Library()
    try:
        source_id = library.add(
            Transcript(Source(title="Notes", origin="notes.txt"), [Segment("Just text.")])
        ).source_id
        text = markdown_export(source_id, conn=library.conn)
    finally:
        library.close()
    assert text.startswith("# Notes\n") and "Source: notes.txt" in text
    assert "## " not in text


def test_unknown_source_and_file_writing(material, tmp_path: Path) -> None:
    library, source_id = material
    with pytest.raises(MarkdownExportError, match="No transcript with id 999"):
        markdown_export(999, conn=library.conn)
    out = tmp_path / "notes.md"
    written = write_markdown_export(source_id, out, conn=library.conn)
    assert Path(written).read_text(encoding="utf-8") == markdown_export(
        source_id, conn=library.conn
    )
    from core.backup import BackupError

    with pytest.raises(BackupError, match="already exists; use --force"):
        write_markdown_export(source_id, out, conn=library.conn)


def test_cli_export_markdown(material, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from tui.cli import main

    _library, source_id = material
    out = tmp_path / "cli.md"
    assert main(["export", "markdown", str(source_id), str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert "## Cards" in out.read_text(encoding="utf-8")
    assert main(["export", "markdown", str(source_id), str(out)]) == 1
    assert "already exists" in capsys.readouterr().err
    assert main(["export", "markdown", "abc", str(tmp_path / "x.md")]) == 1
    assert "not a source id" in capsys.readouterr().err
    assert main(["export", "markdown", "999", str(tmp_path / "x.md")]) == 1
    assert "No transcript with id 999" in capsys.readouterr().err
    assert not (tmp_path / "x.md").exists()
