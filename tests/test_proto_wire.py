"""Our .proto files must be wire-identical to the official Futu SDK's.

For every protocol/proto/<Name>.proto we load our generated module
protocol.proto.<Name>_pb2 and the SDK's futu.common.pb.<Name>_pb2, then walk both
descriptors: every message (nested ones too), field and enum must match in name,
number, type, label, referenced type and explicit default. Comments and imports
are free to differ; anything that changes the bytes on the wire is not.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from google.protobuf.descriptor import FieldDescriptor

PROTO_DIR = Path(__file__).resolve().parent.parent / "protocol" / "proto"
OUR_PACKAGE_PREFIX = "futu_tui."

REQUIRED_FILES = [
    # system / connection
    "Common",
    "InitConnect",
    "KeepAlive",
    "GetGlobalState",
    "Notify",
    # trading
    "Trd_Common",
    "Trd_GetAccList",
    "Trd_UnlockTrade",
    "Trd_SubAccPush",
    "Trd_GetFunds",
    "Trd_GetPositionList",
    "Trd_GetMaxTrdQtys",
    "Trd_GetOrderList",
    "Trd_PlaceOrder",
    "Trd_ModifyOrder",
    "Trd_UpdateOrder",
    "Trd_GetOrderFillList",
    "Trd_UpdateOrderFill",
    "Trd_GetHistoryOrderList",
    "Trd_GetHistoryOrderFillList",
    "Trd_GetOrderFee",
    # quotes
    "Qot_Common",
    "Qot_Sub",
    "Qot_RegQotPush",
    "Qot_GetSubInfo",
    "Qot_GetBasicQot",
    "Qot_UpdateBasicQot",
    "Qot_GetKL",
    "Qot_UpdateKL",
    "Qot_GetRT",
    "Qot_UpdateRT",
    "Qot_GetTicker",
    "Qot_UpdateTicker",
    "Qot_GetOrderBook",
    "Qot_UpdateOrderBook",
    "Qot_GetBroker",
    "Qot_UpdateBroker",
    "Qot_RequestHistoryKL",
    "Qot_GetSecuritySnapshot",
    "Qot_GetStaticInfo",
    "Qot_GetMarketState",
    "Qot_GetCapitalFlow",
    "Qot_GetCapitalDistribution",
    "Qot_GetShortInterest",
    "Qot_GetUserSecurity",
    "Qot_GetUserSecurityGroup",
]

PROTO_NAMES = sorted(p.stem for p in PROTO_DIR.glob("*.proto"))

TYPE_NAMES = {
    value: name[len("TYPE_") :].lower()
    for name, value in vars(FieldDescriptor).items()
    if name.startswith("TYPE_")
}


def _label(field) -> str:
    # protobuf 7 (upb) dropped FieldDescriptor.label; is_required / is_repeated remain.
    if field.is_repeated:
        return "repeated"
    if field.is_required:
        return "required"
    return "optional"


def _type_ref(field) -> str | None:
    """Full name of the referenced message/enum, without our package prefix."""
    ref = field.message_type or field.enum_type
    if ref is None:
        return None
    name = ref.full_name
    return name[len(OUR_PACKAGE_PREFIX) :] if name.startswith(OUR_PACKAGE_PREFIX) else name


def _compare_enum(where: str, ours, sdk, problems: list[str]) -> None:
    our_values = {v.name: v.number for v in ours.values}
    sdk_values = {v.name: v.number for v in sdk.values}
    for name in sorted(sdk_values.keys() - our_values.keys()):
        problems.append(f"{where}: enum value {name} = {sdk_values[name]} missing")
    for name in sorted(our_values.keys() - sdk_values.keys()):
        problems.append(f"{where}: enum value {name} = {our_values[name]} not in SDK")
    for name in sorted(our_values.keys() & sdk_values.keys()):
        if our_values[name] != sdk_values[name]:
            problems.append(
                f"{where}.{name}: number {our_values[name]} != SDK {sdk_values[name]}"
            )


def _compare_field(where: str, ours, sdk, problems: list[str]) -> None:
    checks = [
        ("number", ours.number, sdk.number),
        ("type", TYPE_NAMES.get(ours.type), TYPE_NAMES.get(sdk.type)),
        ("label", _label(ours), _label(sdk)),
        ("referenced type", _type_ref(ours), _type_ref(sdk)),
        ("has explicit default", ours.has_default_value, sdk.has_default_value),
        ("packed", ours.is_packed, sdk.is_packed),
        (
            "oneof",
            ours.containing_oneof and ours.containing_oneof.name,
            sdk.containing_oneof and sdk.containing_oneof.name,
        ),
    ]
    if ours.has_default_value or sdk.has_default_value:
        checks.append(("default", ours.default_value, sdk.default_value))
    for what, mine, theirs in checks:
        if mine != theirs:
            problems.append(f"{where}: {what} {mine!r} != SDK {theirs!r}")


def _compare_names(where: str, kind: str, ours: set, sdk: set, problems: list[str]) -> None:
    for name in sorted(sdk - ours):
        problems.append(f"{where}: {kind} {name} missing")
    for name in sorted(ours - sdk):
        problems.append(f"{where}: {kind} {name} not in SDK")


def _compare_message(where: str, ours, sdk, problems: list[str]) -> None:
    our_fields, sdk_fields = dict(ours.fields_by_name), dict(sdk.fields_by_name)
    _compare_names(where, "field", set(our_fields), set(sdk_fields), problems)
    for name in sorted(our_fields.keys() & sdk_fields.keys()):
        _compare_field(f"{where}.{name}", our_fields[name], sdk_fields[name], problems)

    _compare_names(
        where, "oneof", set(ours.oneofs_by_name), set(sdk.oneofs_by_name), problems
    )

    _compare_types(where, ours, sdk, problems)


def _compare_types(where: str, ours, sdk, problems: list[str]) -> None:
    """Compare the messages and enums declared directly in a file or message."""
    # upb's *_by_name mappings return lists from .keys(), so copy them into dicts.
    is_file = hasattr(ours, "message_types_by_name")
    msgs_attr = "message_types_by_name" if is_file else "nested_types_by_name"
    our_msgs, sdk_msgs = dict(getattr(ours, msgs_attr)), dict(getattr(sdk, msgs_attr))
    our_enums, sdk_enums = dict(ours.enum_types_by_name), dict(sdk.enum_types_by_name)

    _compare_names(where, "message", set(our_msgs), set(sdk_msgs), problems)
    for name in sorted(our_msgs.keys() & sdk_msgs.keys()):
        _compare_message(f"{where}.{name}", our_msgs[name], sdk_msgs[name], problems)

    _compare_names(where, "enum", set(our_enums), set(sdk_enums), problems)
    for name in sorted(our_enums.keys() & sdk_enums.keys()):
        _compare_enum(f"{where}.{name}", our_enums[name], sdk_enums[name], problems)


def test_all_required_proto_files_exist():
    missing = [name for name in REQUIRED_FILES if name not in PROTO_NAMES]
    assert not missing, f"missing .proto files in {PROTO_DIR}: {', '.join(missing)}"


@pytest.mark.parametrize("name", PROTO_NAMES)
def test_proto_matches_sdk(name: str):
    try:
        ours = importlib.import_module(f"protocol.proto.{name}_pb2").DESCRIPTOR
    except ImportError as exc:
        pytest.fail(
            f"{name}.proto: generated module missing, run python -m protocol.proto.regen ({exc})"
        )
    try:
        sdk = importlib.import_module(f"futu.common.pb.{name}_pb2").DESCRIPTOR
    except ImportError as exc:
        pytest.fail(f"{name}.proto: no SDK counterpart futu.common.pb.{name}_pb2 ({exc})")

    problems: list[str] = []
    if ours.package != OUR_PACKAGE_PREFIX + name:
        problems.append(f"package {ours.package!r} != {OUR_PACKAGE_PREFIX + name!r}")
    _compare_types(name, ours, sdk, problems)

    assert not problems, f"{name}.proto differs from the SDK:\n  " + "\n  ".join(problems)
