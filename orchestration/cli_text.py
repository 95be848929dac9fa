"""Chinese for the parts of `ipwh --help` and of usage errors that Typer writes itself.

Typer (0.29, pinned in constraints.txt) vendors its own copy of click whose strings ("Usage:",
"Show this message and exit.", "Missing option …", the `<str>`/`<bool>` type labels) are plain
English literals, not gettext messages, so they are replaced here, once, when the CLI is built.
tests/test_cli_help.py reads every command's help and fails on any English word left, so a Typer
upgrade that moves these names is caught.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

HELP_OPTION_TEXT = "显示本帮助并退出。"
PANEL_TITLES = {
    "OPTIONS_PANEL_TITLE": "选项",
    "ARGUMENTS_PANEL_TITLE": "参数",
    "COMMANDS_PANEL_TITLE": "命令",
    "ERRORS_PANEL_TITLE": "错误",
    "ABORTED_TEXT": "已中止。",
    "DEFAULT_STRING": "[默认：{}]",
    "ENVVAR_STRING": "[环境变量：{}]",
    "REQUIRED_LONG_STRING": "[必填]",
    "DEPRECATED_STRING": "（已停用）",
    "RICH_HELP": "查看帮助：[blue]{command_path} {help_option}[/]",
}
TYPE_LABELS = {
    "str": "文本",
    "text": "文本",
    "int": "整数",
    "integer": "整数",
    "float": "数值",
    "path": "路径",
    "file": "文件",
    "directory": "文件夹",
    "datetime": "日期时间",
}
USAGE_WORDS = (("[OPTIONS]", "[选项]"), ("COMMAND [ARGS]...", "命令 [参数]..."))
# Typer's own error messages (after its formatting) and their Chinese.
ERRORS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), chinese)
    for pattern, chinese in (
        (r"^Missing option (.+?)\.(?: (.*))?$", r"缺少选项 \1。\2"),
        (r"^Missing argument (.+?)\.(?: (.*))?$", r"缺少参数 \1。\2"),
        (r"^Missing parameter: (.+)$", r"缺少参数 \1"),
        (r"^No such option: (\S+)", r"没有选项 \1。"),
        (r"^No such command (.+?)\.", r"没有命令 \1。"),
        (r" ?Did you mean (.+?)\?", r"是否想用 \1？"),
        (r"Input should be a valid integer.*$", "应为整数"),
        (r"Input should be a valid (number|decimal).*$", "应为数值"),
        (r"Input should be a valid boolean.*$", "应为 是/否"),
        (r"Input should be a valid date.*$", "应为日期，如 2026-10-31"),
        (r"^Got unexpected extra arguments? \((.+)\)$", r"多余的参数：\1"),
        (r"^Invalid value for (.+?): (.+)$", r"\1 的值无效：\2"),
        (r"^Invalid value: (.+)$", r"值无效：\1"),
        (r"^Option '?([^']+)'? requires an argument\.?$", r"选项 \1 需要一个值。"),
        (r"^Option '?([^']+)'? does not take a value\.?$", r"选项 \1 不带值。"),
        (r"^Missing command\.?$", "缺少命令。"),
        (r"'(.+?)' is not a valid integer\.?", r"“\1”不是整数。"),
        (r"'(.+?)' is not a valid float\.?", r"“\1”不是数值。"),
        (r"'(.+?)' is not one of (.+)\.", r"“\1”不在可选值 \2 之中。"),
        (r"'(.+?)' is not a valid boolean\.?", r"“\1”不是是/否值。"),
    )
)
_done = False


def translate_error(message: str) -> str:
    """Typer's English usage-error message in Chinese (unknown messages pass unchanged)."""
    text = message
    for pattern, chinese in ERRORS:
        text = pattern.sub(chinese, text)
    return text.replace("Possible options:", "可选：")


def _type_label(original: Callable[..., str | None]) -> Callable[..., str | None]:
    def display(self: Any, ctx: Any) -> str | None:
        if getattr(self, "is_flag", False) or getattr(self, "is_bool_flag", False):
            return None  # a switch takes no value: `<bool>` beside it only confuses
        label = original(self, ctx)
        if not label:
            return label
        inner = label[1:-1] if label.startswith("<") and label.endswith(">") else label
        if inner == "bool":
            return None
        return f"<{TYPE_LABELS.get(inner, inner)}>"

    return display


def _folding(original: Callable[..., Any]) -> Callable[..., Any]:
    def render(*args: Any, **kwargs: Any) -> Any:
        rendered = original(*args, **kwargs)
        for part in getattr(rendered, "renderables", [rendered]):  # option help is Columns of Text
            if hasattr(part, "overflow"):
                part.overflow = "fold"
        return rendered

    return render


def localise() -> None:
    """Replace Typer's English help and error strings (idempotent)."""
    global _done
    if _done:
        return
    import typer.core
    from typer import rich_utils
    from typer._click import core as click_core
    from typer._click import decorators

    for name, text in PANEL_TITLES.items():
        setattr(rich_utils, name, text)

    original_help_option = decorators.help_option

    def help_option(param_decls: list[str]) -> Callable[[Any], Any]:
        decorate = original_help_option(param_decls)

        def apply(command: Any) -> Any:
            result = decorate(command)
            command.params[-1].help = HELP_OPTION_TEXT
            return result

        return apply

    decorators.help_option = help_option

    original_usage = click_core.Command.get_usage

    def get_usage(self: Any, ctx: Any) -> str:
        text = original_usage(self, ctx).replace("Usage: ", "用法：", 1)
        for english, chinese in USAGE_WORDS:
            text = text.replace(english, chinese)
        return text

    click_core.Command.get_usage = get_usage  # type: ignore[method-assign]
    for cls in (typer.core.TyperOption, typer.core.TyperArgument):
        cls.display_type_rich = _type_label(cls.display_type_rich)  # type: ignore[method-assign]

    original_format = rich_utils.rich_format_error

    def rich_format_error(error: Any) -> None:
        message = error.format_message()
        error.format_message = lambda: translate_error(message)
        original_format(error)

    rich_utils.rich_format_error = rich_format_error
    # Long Chinese runs have no spaces to wrap at: fold them instead of cutting them off with "…".
    for name in ("_make_command_help", "_get_parameter_help"):
        setattr(rich_utils, name, _folding(getattr(rich_utils, name)))
    _done = True
