"""The docs match the code: docs/reference.md is what scripts/gen_docs.py writes now, the generator
reads the real registries, and the README keeps its promises."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from cxkit.mockgms import ACTIONS, FAULT_MODES, OPERATIONS
from cxkit.webchat import messages as webchat_messages
from cxkit.webchat.catalog import COMMAND_SPECS, COMMANDS, EVENT_SPECS, EVENTS, Described
from cxkit.webchat.config import CONFIG_KEYS, WebChatConfig

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "reference.md"


@pytest.fixture(scope="module")
def gen_docs():
    spec = importlib.util.spec_from_file_location("gen_docs", ROOT / "scripts" / "gen_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generated(gen_docs, tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("docs")
    assert gen_docs.main(["--out", str(out)]) == 0
    return (out / "reference.md").read_text()


def test_reference_is_up_to_date(generated):
    assert REFERENCE.is_file(), "docs/reference.md is missing: run `.venv/bin/python scripts/gen_docs.py`"
    assert REFERENCE.read_text() == generated, (
        "docs/reference.md is stale (the code changed): run `.venv/bin/python scripts/gen_docs.py` "
        "and commit docs/reference.md")


def test_generation_is_deterministic(gen_docs, generated):
    assert gen_docs.render() == generated


def test_the_generator_renders_data_and_reads_no_source(gen_docs):
    """The facts are declared once as data in the package; the generator only renders them."""
    for parser in ("re", "ast", "tokenize"):
        assert not hasattr(gen_docs, parser), f"gen_docs imports {parser}: render tables instead of parsing source"
    source = (ROOT / "scripts" / "gen_docs.py").read_text()
    for reader in ("getsource", "findsource", "getsourcelines"):
        assert reader not in source, reader


def test_every_template_field_is_a_rendered_fact(gen_docs):
    assert set(gen_docs.PAGE.get_identifiers()) == set(gen_docs.facts())


def test_the_js_face_table_is_rendered(generated):
    from cxkit.bus import face

    def listed(names):
        return ", ".join(f"`{n}`" for n in names)

    assert f"`window.CXBus` members: {listed(face.CXBUS_MEMBERS)};" in generated
    assert f"also {listed(face.UNLOCKED_MEMBERS)} (" in generated
    assert f"plus `registerPlugin`): {listed(face.PLUGIN_MEMBERS)}." in generated
    assert f"except {listed(face.JS_ONLY_MEMBERS)}." in generated
    assert f"automatic commands {listed(face.AUTOMATIC_COMMANDS)}." in generated


def test_python_bus_members_are_listed_once_with_their_aliases(generated):
    from cxkit.bus import Bus, Plugin

    assert "| `get_plugin` / `getPluginInterface` |" in generated
    assert "| `register_command` / `registerCommand` |" in generated
    for cls in (Bus, Plugin):
        for name in (n for n in dir(cls) if not n.startswith("_")):
            assert f"`{name}`" in generated, f"{cls.__name__}.{name}"


def test_every_command_event_and_action_is_listed(generated):
    for name in COMMANDS:
        assert f"| `{name}` |" in generated, name
    for name in EVENTS:
        assert f"| `{name}` |" in generated, name
    for name in (*ACTIONS, *FAULT_MODES):
        assert f"- `{name}`:" in generated, name
    for op in OPERATIONS:
        assert f"`{op}`" in generated, op


def test_every_rejection_text_the_handlers_use_is_documented(generated):
    source = "".join(p.read_text() for p in (ROOT / "pysrc" / "cxkit" / "webchat").glob("*.py"))
    used = sorted(set(re.findall(r"\bmsg\.([A-Z_]+)", source)))
    assert len(used) >= 15
    missing = [name for name in used if f'"{getattr(webchat_messages, name)}"' not in generated]
    assert not missing, f"the generator lost these rejection texts: {missing}"


def test_every_table_row_is_rendered(generated):
    for spec in CONFIG_KEYS:
        assert f"| `{spec.key}`" in generated and f"`{spec.field}` |" in generated, spec.key
    for spec in EVENT_SPECS.values():
        assert f"`{spec.name}`" in generated, spec.name
    for spec in COMMAND_SPECS.values():
        for text in (*spec.resolves, *spec.rejects):
            assert (text.text if isinstance(text, Described) else f'"{text}"') in generated, spec.name


def test_documented_mock_bounds_are_enforced(generated):
    """Every bounded MockConfig / FileLimits / CometdConfig field is documented with its bounds, and
    those bounds are the ones construction enforces (inside kept, just outside refused)."""
    from cxkit.mockgms import CometdConfig, FileLimits, MockConfig
    from cxkit.mockgms.config import field_facts

    checked = 0
    for cls in (MockConfig, FileLimits, CometdConfig):
        for facts in field_facts(cls):
            if facts.bounds is None:
                continue
            low, high = facts.bounds
            assert f"| `{facts.name}` | " in generated and f"| {low:,} .. {high:,} | {facts.doc} |" in generated
            step = 1 if isinstance(facts.default, int) else 0.001
            assert getattr(cls(**{facts.name: high}), facts.name) == high
            for outside in (low - step, high + step):
                with pytest.raises(ValueError, match=facts.name):
                    cls(**{facts.name: outside})
            checked += 1
    assert checked >= 25


def test_every_cometd_fault_is_listed(generated):
    from cxkit.mockgms.cometd_faults import COMETD_FAULT_MODES

    for operation, modes in COMETD_FAULT_MODES.items():
        for mode in modes:
            assert f"| `{operation}` | `{mode}` |" in generated, (operation, mode)


def test_cli_section_comes_from_the_parser(generated):
    for sub in ("build", "serve", "mock-gms"):
        assert f"- `cxkit {sub}`:" in generated
    assert "`--cors-allow-origin ORIGIN`" in generated
    assert "doctor" in generated


# -- README ------------------------------------------------------------------------------------

README = (ROOT / "README.md").read_text()


def test_readme_keeps_the_two_setup_commands():
    assert "\n    ./dev demo\n" in README and "\n    ./dev test\n" in README


def test_readme_links_resolve():
    """Relative links in README and docs/*.md point at files that exist (docs written by others
    are linked only once they exist)."""
    broken = []
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text()):
            if re.match(r"[a-z]+:", target):
                continue
            if not (doc.parent / target).exists():
                broken.append(f"{doc.relative_to(ROOT)} -> {target}")
    assert not broken, broken


def test_readme_names_the_documented_differences():
    for phrase in ("Command does not exist", "endChat", "localhost", "cxkit doctor", "docs/reference.md"):
        assert phrase in README, phrase


def test_readme_names_every_command_and_event():
    section = README[README.index("## Commands and events"):README.index("## Differences")]
    missing = [n for n in (*COMMANDS, *EVENTS) if f"`{n}`" not in section]
    assert not missing, f"add these to the README's 'Commands and events': {missing}"
    assert f"All {len(COMMANDS)} commands" in section and f"Its {len(EVENTS)} events" in section


def test_readme_config_defaults_match_the_code():
    section = README[README.index("## Configuration"):README.index("## Commands and events")]
    cfg = WebChatConfig()
    for key, field in (("ajaxTimeout", "ajax_timeout"), ("pollExceptionLimit", "poll_exception_limit"),
                       ("restoreTimeout", "restore_timeout")):
        assert f"| `{key}` | `{getattr(cfg, field)}` |" in section, key
    assert f"`{cfg.poll_rate_min}` / `{cfg.poll_rate_max}` / `{cfg.poll_rate_mult}`" in section
