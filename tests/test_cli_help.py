"""Every `lapas` command, group and option has help text, and `--help` works for each."""

from __future__ import annotations

import click
from click.testing import CliRunner

from lapas.cli import main


def walk(group: click.Group, path: tuple[str, ...] = ()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # the lazy top-level group imports each command here
        cmd = group.get_command(ctx, name)
        yield path + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from walk(cmd, path + (name,))


def test_every_command_has_help_text():
    missing = [" ".join(p) for p, cmd in walk(main) if not (cmd.help or cmd.short_help or "").strip()]
    assert not missing, f"commands without help text: {missing}"


def test_every_option_has_help_text():
    missing = []
    for path, cmd in walk(main):
        for param in cmd.params:
            if isinstance(param, click.Option) and not (param.help or "").strip() and not param.hidden:
                missing.append(f"{' '.join(path)} {param.opts[0]}")
    assert not missing, f"options without help text: {missing}"


def test_help_runs_for_every_command():
    runner = CliRunner()
    commands = list(walk(main))
    assert len(commands) >= 5
    for path, cmd in commands:
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output
        first_line = (cmd.help or cmd.short_help or "").strip().splitlines()[0]
        assert first_line[:30] in " ".join(result.output.split()), path


def test_data_dir_option_on_device_commands():
    for path in (("init",), ("doctor",), ("audit", "verify")):
        cmd = main
        for p in path:
            cmd = cmd.get_command(click.Context(cmd), p)
        assert any("--data-dir" in getattr(p, "opts", []) for p in cmd.params), path
