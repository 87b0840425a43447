#!/usr/bin/env python3
"""Generates the Swift message types of swift-csms from the official OCA OCPP JSON schemas.

Usage:
    python3 Tools/codegen/generate.py [--schemas-root DIR] [--out DIR] [--check]

The schemas come from the PyPI package `ocpp` (pinned below), installed into a temporary
virtual environment, unless `--schemas-root` names a folder that holds `v16/`, `v201/` and
`v21/` (each with a `schemas/` folder, as in the package). The output is written below
`--out` (default: the repository root) as `Sources/OCPP16/Generated/`,
`Sources/OCPP201/Generated/` and `Sources/OCPP21/Generated/`; each of these folders is
replaced as a whole. With `--check` nothing is written: the code is generated into a
temporary folder and compared with the files below `--out`; the exit status is 1 when they
differ. See README.md next to this file for the mapping rules.

Standard library only (Python 3.11).
"""

from __future__ import annotations

import argparse
import difflib
import glob
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass, field

OCPP_PACKAGE = "ocpp==2.1.0"
SCRIPT = "Tools/codegen/generate.py"
DRAFT_04 = "http://json-schema.org/draft-04/schema#"
DRAFT_06 = "http://json-schema.org/draft-06/schema#"
DOC_WIDTH = 100  # doc comments
# Longest code line: swift-format configured with lineLength 120 (the project's setting) flags
# lines of 120 characters, so generated lines stay below that.
LINE_WIDTH = 119

# ---------------------------------------------------------------------------------------
# Directions: who sends the request of each action.
#   CP   = the charge point / charging station sends it (ActionDirection.chargePointToCSMS)
#   CSMS = the central system sends it            (ActionDirection.csmsToChargePoint)
#   BOTH = either side                            (ActionDirection.both)
# Every action of a message set must appear in its table and vice versa (checked).
# ---------------------------------------------------------------------------------------
CP, CSMS, BOTH = "chargePointToCSMS", "csmsToChargePoint", "both"

# OCPP 1.6 edition 2, §4 "Operations Initiated by Charge Point" (4.1-4.10) and §5
# "Operations Initiated by Central System" (5.1-5.19; DataTransfer is in both, 4.3 and 5.6);
# the security extension from the "OCPP 1.6 security whitepaper edition 3", §5 "Messages"
# (5.1-5.22: "sent by the Central System to the Charge Point" / "sent by the Charge Point
# to the Central System").
DIRECTIONS_16 = {
    # §4
    "Authorize": CP,
    "BootNotification": CP,
    "DataTransfer": BOTH,
    "DiagnosticsStatusNotification": CP,
    "FirmwareStatusNotification": CP,
    "Heartbeat": CP,
    "MeterValues": CP,
    "StartTransaction": CP,
    "StatusNotification": CP,
    "StopTransaction": CP,
    # §5
    "CancelReservation": CSMS,
    "ChangeAvailability": CSMS,
    "ChangeConfiguration": CSMS,
    "ClearCache": CSMS,
    "ClearChargingProfile": CSMS,
    "GetCompositeSchedule": CSMS,
    "GetConfiguration": CSMS,
    "GetDiagnostics": CSMS,
    "GetLocalListVersion": CSMS,
    "RemoteStartTransaction": CSMS,
    "RemoteStopTransaction": CSMS,
    "ReserveNow": CSMS,
    "Reset": CSMS,
    "SendLocalList": CSMS,
    "SetChargingProfile": CSMS,
    "TriggerMessage": CSMS,
    "UnlockConnector": CSMS,
    "UpdateFirmware": CSMS,
    # Security whitepaper §5
    "CertificateSigned": CSMS,
    "DeleteCertificate": CSMS,
    "ExtendedTriggerMessage": CSMS,
    "GetInstalledCertificateIds": CSMS,
    "GetLog": CSMS,
    "InstallCertificate": CSMS,
    "LogStatusNotification": CP,
    "SecurityEventNotification": CP,
    "SignCertificate": CP,
    "SignedFirmwareStatusNotification": CP,
    "SignedUpdateFirmware": CSMS,
}

# OCPP 2.0.1 edition 3, Part 2, "Messages, Datatypes & Enumerations" chapter 1 "Messages"
# (1.1-1.64: "...Request PDU sent by the Charging Station to the CSMS" / "sent by the CSMS
# to the Charging Station"; DataTransfer "sent either by the CSMS to the Charging Station or
# vice versa"; PublishFirmware is sent by the CSMS to a Local Controller, which connects as
# a charging station). Messages without such a sentence were taken from their use cases:
# GetDisplayMessages (O03/O04 "The CSMS sends a GetDisplayMessagesRequest"),
# GetTransactionStatus (E14), NotifyChargingLimit (K11/K12), NotifyEVChargingNeeds and
# NotifyEVChargingSchedule (K15-K17), ReportChargingProfiles (K09),
# RequestStart/StopTransaction (F01/F03), SetNetworkProfile (B09), Get15118EVCertificate
# (M01/M02).
DIRECTIONS_201 = {
    "Authorize": CP,
    "BootNotification": CP,
    "CancelReservation": CSMS,
    "CertificateSigned": CSMS,
    "ChangeAvailability": CSMS,
    "ClearCache": CSMS,
    "ClearChargingProfile": CSMS,
    "ClearDisplayMessage": CSMS,
    "ClearedChargingLimit": CP,
    "ClearVariableMonitoring": CSMS,
    "CostUpdated": CSMS,
    "CustomerInformation": CSMS,
    "DataTransfer": BOTH,
    "DeleteCertificate": CSMS,
    "FirmwareStatusNotification": CP,
    "Get15118EVCertificate": CP,
    "GetBaseReport": CSMS,
    "GetCertificateStatus": CP,
    "GetChargingProfiles": CSMS,
    "GetCompositeSchedule": CSMS,
    "GetDisplayMessages": CSMS,
    "GetInstalledCertificateIds": CSMS,
    "GetLocalListVersion": CSMS,
    "GetLog": CSMS,
    "GetMonitoringReport": CSMS,
    "GetReport": CSMS,
    "GetTransactionStatus": CSMS,
    "GetVariables": CSMS,
    "Heartbeat": CP,
    "InstallCertificate": CSMS,
    "LogStatusNotification": CP,
    "MeterValues": CP,
    "NotifyChargingLimit": CP,
    "NotifyCustomerInformation": CP,
    "NotifyDisplayMessages": CP,
    "NotifyEVChargingNeeds": CP,
    "NotifyEVChargingSchedule": CP,
    "NotifyEvent": CP,
    "NotifyMonitoringReport": CP,
    "NotifyReport": CP,
    "PublishFirmware": CSMS,
    "PublishFirmwareStatusNotification": CP,
    "ReportChargingProfiles": CP,
    "RequestStartTransaction": CSMS,
    "RequestStopTransaction": CSMS,
    "ReservationStatusUpdate": CP,
    "ReserveNow": CSMS,
    "Reset": CSMS,
    "SecurityEventNotification": CP,
    "SendLocalList": CSMS,
    "SetChargingProfile": CSMS,
    "SetDisplayMessage": CSMS,
    "SetMonitoringBase": CSMS,
    "SetMonitoringLevel": CSMS,
    "SetNetworkProfile": CSMS,
    "SetVariableMonitoring": CSMS,
    "SetVariables": CSMS,
    "SignCertificate": CP,
    "StatusNotification": CP,
    "TransactionEvent": CP,
    "TriggerMessage": CSMS,
    "UnlockConnector": CSMS,
    "UnpublishFirmware": CSMS,
    "UpdateFirmware": CSMS,
}

# OCPP 2.1 edition 1, Part 2, "Messages, Datatypes & Enumerations" chapter 1 "Messages"
# (1.1-1.91), same sentences as 2.0.1 for the actions 2.1 keeps. For the actions new in 2.1
# the message text or the use case names the sender: BatterySwap, PullDynamicScheduleUpdate,
# NotifyPriorityCharging ("Message sent by Charging Station"), NotifyAllowedEnergyTransfer,
# UsePriorityCharging ("Message sent by CSMS"), AFRRSignal, AdjustPeriodicEventStream,
# ChangeTransactionTariff, GetPeriodicEventStream, GetTariffs, RequestBatterySwap,
# SetDefaultTariff, UpdateDynamicSchedule, NotifyWebPaymentStarted ("CSMS sends ..."),
# ClearTariffs ("CSMS requests to clear ..."), Set/Get/ClearDERControl (R04: "Charging
# Station receives a ...Request"), ReportDERControl, NotifyDERAlarm, NotifyDERStartStop,
# NotifyCustomerInformation, NotifySettlement, OpenPeriodicEventStream,
# ClosePeriodicEventStream, NotifyPeriodicEventStream, GetCertificateChainStatus,
# VatNumberValidation ("Charging Station sends / SHALL send ..."). NotifyPeriodicEventStream
# is sent with SEND (Part 4) and has no response.
DIRECTIONS_21 = {
    # Every 2.0.1 action is kept in 2.1 with the same sender.
    **DIRECTIONS_201,
    # New in 2.1:
    "AFRRSignal": CSMS,
    "AdjustPeriodicEventStream": CSMS,
    "BatterySwap": CP,
    "ChangeTransactionTariff": CSMS,
    "ClearDERControl": CSMS,
    "ClearTariffs": CSMS,
    "ClosePeriodicEventStream": CP,
    "GetCertificateChainStatus": CP,
    "GetDERControl": CSMS,
    "GetPeriodicEventStream": CSMS,
    "GetTariffs": CSMS,
    "NotifyAllowedEnergyTransfer": CSMS,
    "NotifyDERAlarm": CP,
    "NotifyDERStartStop": CP,
    "NotifyPeriodicEventStream": CP,
    "NotifyPriorityCharging": CP,
    "NotifySettlement": CP,
    "NotifyWebPaymentStarted": CSMS,
    "OpenPeriodicEventStream": CP,
    "PullDynamicScheduleUpdate": CP,
    "ReportDERControl": CP,
    "RequestBatterySwap": CSMS,
    "SetDERControl": CSMS,
    "SetDefaultTariff": CSMS,
    "UpdateDynamicSchedule": CSMS,
    "UsePriorityCharging": CSMS,
    "VatNumberValidation": CP,
}


@dataclass(frozen=True)
class MessageSet:
    folder: str  # folder in the ocpp package: v16, v201, v21
    module: str  # Swift target
    registry: str  # ActionRegistry static member
    family: str  # OCPPVersion.Family case
    label: str  # human-readable version
    directions: dict


MESSAGE_SETS = [
    MessageSet("v16", "OCPP16", "ocpp16", "v16", "1.6", DIRECTIONS_16),
    MessageSet("v201", "OCPP201", "ocpp201", "v201", "2.0.1", DIRECTIONS_201),
    MessageSet("v21", "OCPP21", "ocpp21", "v21", "2.1", DIRECTIONS_21),
]

DIRECTION_TEXT = {
    CP: "sent by the charge point to the CSMS",
    CSMS: "sent by the CSMS to the charge point",
    BOTH: "sent by either side",
}

# ---------------------------------------------------------------------------------------
# Schema keywords
# ---------------------------------------------------------------------------------------
# Keywords that carry no validation meaning for us: documentation, identifiers, and
# `default` / `additionalItems` (the brief: `items` is always one schema, defaults are not
# applied by a validator).
IGNORED_KEYWORDS = {"description", "javaType", "comment", "$id", "title", "$schema", "default", "additionalItems"}
KNOWN_KEYWORDS = IGNORED_KEYWORDS | {
    "type",
    "properties",
    "required",
    "additionalProperties",
    "enum",
    "maxLength",
    "minLength",
    "minimum",
    "maximum",
    "multipleOf",
    "minItems",
    "maxItems",
    "items",
    "format",
    "$ref",
    "definitions",
}
# Which keywords may appear with which `type` (anything else fails loudly).
KEYWORDS_BY_TYPE = {
    "object": {"properties", "required", "additionalProperties"},
    # 1.6 puts `additionalProperties: false` on string enums; it has no effect on strings.
    "string": {"enum", "maxLength", "minLength", "format", "additionalProperties"},
    "integer": {"minimum", "maximum"},
    "number": {"minimum", "maximum", "multipleOf"},
    "boolean": set(),
    "array": {"items", "minItems", "maxItems"},
}
KNOWN_FORMATS = {"date-time", "uri"}

# Swift keywords (always written in backticks when used as a name). `type` is not a keyword
# but is backticked by house convention.
SWIFT_KEYWORDS = {
    "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import",
    "init", "inout", "internal", "let", "open", "operator", "private", "precedencegroup",
    "protocol", "public", "rethrows", "static", "struct", "subscript", "typealias", "var",
    "break", "case", "catch", "continue", "default", "defer", "do", "else", "fallthrough",
    "for", "guard", "if", "in", "repeat", "return", "throw", "switch", "where", "while", "Any",
    "as", "await", "false", "is", "nil", "super", "throws", "true", "try", "type",
}
# Names that cannot be used even in backticks in every position we need.
UNUSABLE_MEMBER_NAMES = {"self", "Self", "init", "Type", "Protocol"}
# Names the generated code relies on; a generated type of that name would shadow them.
RESERVED_TYPE_NAMES = {
    "String", "Int", "Double", "Bool", "Array", "Optional", "Self", "Type", "Protocol", "Any",
    "JSONValue", "JSONObject", "JSONNumber", "OCPPDateTime", "DecodingContext", "OCPPPayload",
    "OCPPEnum", "OCPPAction", "ActionDirection", "PayloadType", "ActionDescriptor",
    "ActionRegistry",
}
# Local names used by the generated decode/encode bodies.
RESERVED_LOCALS = {"value", "context", "object", "start", "keys"}


class SchemaError(Exception):
    """A schema uses something the generator does not handle."""


def fail(message: str) -> None:
    raise SchemaError(message)


# ---------------------------------------------------------------------------------------
# Intermediate model
# ---------------------------------------------------------------------------------------
@dataclass
class TypeRef:
    kind: str  # string, dateTime, integer, number, boolean, any, enum, object, array
    constraints: dict = field(default_factory=dict)
    decl: "Decl | None" = None  # for enum / object
    item: "TypeRef | None" = None  # for array


@dataclass
class Prop:
    json_name: str
    type: TypeRef
    required: bool
    description: str | None


@dataclass
class Decl:
    kind: str  # "struct" or "enum"
    name: str
    description: str | None
    parent: "Decl | None" = None
    # struct
    props: list = field(default_factory=list)
    additional: bool = False  # additionalProperties allowed (kept) vs rejected
    nested: list = field(default_factory=list)
    # enum
    values: list = field(default_factory=list)
    # bookkeeping
    generated_doc: str | None = None  # used when description is None
    note: str | None = None  # extra doc paragraph (qualified names)
    users: set = field(default_factory=set)  # actions reaching a definition

    @property
    def qualified(self) -> str:
        return f"{self.parent.qualified}.{self.name}" if self.parent else self.name


@dataclass
class Action:
    name: str
    direction: str
    request: Decl
    response: Decl | None
    request_file: str
    response_file: str | None


# ---------------------------------------------------------------------------------------
# Naming
# ---------------------------------------------------------------------------------------
IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def upper_camel(name: str) -> str:
    return name[:1].upper() + name[1:]


def singular(name: str) -> str:
    """The item type name of an array property (1.6 inline arrays)."""
    if name.endswith("List") and len(name) > 4:
        return name[:-4]
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith("s") and not name.endswith("ss") and not name.endswith("us"):
        return name[:-1]
    return name


def swift_ident(name: str) -> str:
    """A property or case name as written in declarations and references."""
    if name in UNUSABLE_MEMBER_NAMES:
        fail(f"name {name!r} cannot be used as a Swift member name")
    return f"`{name}`" if name in SWIFT_KEYWORDS else name


def swift_label(name: str) -> str:
    """A property name as an argument label in a call (keywords need no backticks there)."""
    if name in UNUSABLE_MEMBER_NAMES:
        fail(f"name {name!r} cannot be used as a Swift member name")
    return f"`{name}`" if name in ("inout", "var", "let") else name


def enum_case_name(value: str) -> str:
    """lowerCamel case name for a string enum value (rawValue stays the exact string)."""
    words = [w for w in re.split(r"[^A-Za-z0-9]+", value) if w]
    if not words:
        fail(f"enum value {value!r} has no letters or digits")
    first = words[0]
    run = 0
    while run < len(first) and (first[run].isupper() or first[run].isdigit()):
        run += 1
    if run == len(first):
        first = first.lower()
    elif run > 1:
        first = first[: run - 1].lower() + first[run - 1 :]
    elif run == 1:
        first = first[0].lower() + first[1:]
    out = first
    for w in words[1:]:
        if w[0].isdigit():
            out += "_"  # keeps the word boundary visible: s309-1P-16A -> s309_1P_16A
        out += w[0].upper() + w[1:]
    if out[0].isdigit():
        out = "_" + out
    return out


def clean_lines(text: str | None) -> list:
    """Description lines: line breaks split, HTML entities decoded, AsciiDoc cross references
    (`<<anchor,Text>>`) reduced to their text."""
    if not text:
        return []
    text = html.unescape(text)
    text = re.sub(r"<<[^,<>]*,\s*([^<>]+?)\s*>>", r"\1", text)
    text = re.sub(r"<<([^,<>]+)>>", r"\1", text)
    return [line.strip() for line in re.split(r"\r\n|\r|\n", text) if line.strip()]


def number_literal(v) -> str:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        fail(f"constraint value {v!r} is not a number")
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return repr(v)


def int_constraint(node: dict, key: str):
    v = node.get(key)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or int(v) != v or v < 0:
        fail(f"{key} must be a non-negative integer, got {v!r}")
    return int(v)


# ---------------------------------------------------------------------------------------
# Schema reading
# ---------------------------------------------------------------------------------------
def strip_docs(node):
    """A node without documentation keywords (for comparing definitions)."""
    if isinstance(node, dict):
        return {k: strip_docs(v) for k, v in node.items() if k not in ("description", "javaType", "comment", "$id", "title")}
    if isinstance(node, list):
        return [strip_docs(v) for v in node]
    return node


class SchemaFile:
    def __init__(self, path: str, action: str, role: str):
        self.path = path
        self.file = os.path.basename(path)
        self.action = action
        self.role = role  # "Request" or "Response"
        with open(path, encoding="utf-8-sig") as f:
            self.root = json.load(f)
        self.draft = self.root.get("$schema")
        if self.draft not in (DRAFT_04, DRAFT_06):
            fail(f"{self.file}: unsupported $schema {self.draft!r}")
        self.definitions = self.root.get("definitions", {})
        self._canonical = {}

    @property
    def title(self) -> str:
        return f"{self.action}{self.role}"

    def definition(self, ref: str):
        m = re.fullmatch(r"#/definitions/([A-Za-z0-9_]+)", ref)
        if not m or m.group(1) not in self.definitions:
            fail(f"{self.file}: unresolvable $ref {ref!r}")
        return m.group(1)

    def canonical(self, name: str, stack=()) -> str:
        """Structure of definition `name` with its references expanded (docs removed)."""
        if name in self._canonical:
            return self._canonical[name]
        if name in stack:
            fail(f"{self.file}: recursive definition {name}")

        def expand(node):
            if isinstance(node, dict):
                if "$ref" in node:
                    target = self.definition(node["$ref"])
                    return {"$ref": json.loads(self.canonical(target, stack + (name,)))}
                return {k: expand(v) for k, v in node.items()}
            if isinstance(node, list):
                return [expand(v) for v in node]
            return node

        body = expand(strip_docs(self.definitions[name]))
        body["$draft"] = self.draft  # integers validate differently per draft
        text = json.dumps(body, sort_keys=True)
        self._canonical[name] = text
        return text


def check_keywords(node: dict, where: str) -> None:
    unknown = set(node) - KNOWN_KEYWORDS
    if unknown:
        fail(f"{where}: unsupported keywords {sorted(unknown)}")
    if "$ref" in node:
        extra = set(node) - {"$ref"} - IGNORED_KEYWORDS
        if extra:
            fail(f"{where}: $ref next to {sorted(extra)}")
        return
    t = node.get("type")
    if t is None:
        extra = set(node) - IGNORED_KEYWORDS
        if extra:
            fail(f"{where}: untyped schema with {sorted(extra)}")
        return
    if not isinstance(t, str):
        fail(f"{where}: type must be a single string, got {t!r}")
    if t not in KEYWORDS_BY_TYPE:
        fail(f"{where}: unsupported type {t!r}")
    extra = set(node) - IGNORED_KEYWORDS - {"type", "definitions"} - KEYWORDS_BY_TYPE[t]
    if extra:
        fail(f"{where}: keywords {sorted(extra)} not supported with type {t}")
    if "format" in node and node["format"] not in KNOWN_FORMATS:
        fail(f"{where}: unsupported format {node['format']!r}")
    if "format" in node and "enum" in node:
        fail(f"{where}: format together with enum")
    if "enum" in node:
        values = node["enum"]
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            fail(f"{where}: enum must be a non-empty list of strings")
        if len(set(values)) != len(values):
            fail(f"{where}: duplicate enum values")
        if set(node) & {"maxLength", "minLength"}:
            fail(f"{where}: enum with length constraints")
    if t == "object":
        ap = node.get("additionalProperties", True)
        if not isinstance(ap, bool):
            fail(f"{where}: additionalProperties must be a boolean")
        props = node.get("properties", {})
        for r in node.get("required", []):
            if r not in props:
                fail(f"{where}: required property {r!r} is not declared")
    if t == "array":
        if not isinstance(node.get("items"), dict):
            fail(f"{where}: array items must be one schema")


class MessageSetModel:
    """Every type of one message set, built from its schema files."""

    def __init__(self, ms: MessageSet, schema_dir: str):
        self.ms = ms
        self.schema_dir = schema_dir
        self.actions: list = []
        self.definitions: dict = {}  # canonical key -> Decl
        self.definition_names: dict = {}  # (file, def name) -> canonical key
        self.unused_definitions: list = []
        self._load()

    # -- files -------------------------------------------------------------------------
    def _pair_files(self):
        files = sorted(os.path.basename(p) for p in glob.glob(os.path.join(self.schema_dir, "*.json")))
        if not files:
            fail(f"no schemas in {self.schema_dir}")
        pairs = {}
        if self.ms.folder == "v16":
            for f in files:
                base = f[:-5]
                if base.endswith("Response"):
                    pairs.setdefault(base[: -len("Response")], {})["Response"] = f
                else:
                    pairs.setdefault(base, {})["Request"] = f
        else:
            for f in files:
                base = f[:-5]
                if base.endswith("Request"):
                    pairs.setdefault(base[: -len("Request")], {})["Request"] = f
                elif base.endswith("Response"):
                    pairs.setdefault(base[: -len("Response")], {})["Response"] = f
                else:
                    # A message without request/response suffix: sent with SEND (2.1).
                    pairs.setdefault(base, {})["Send"] = f
        result = []
        for action in sorted(pairs):
            p = pairs[action]
            if "Send" in p:
                if len(p) != 1:
                    fail(f"{action}: SEND message next to request/response files")
                result.append((action, p["Send"], None))
            else:
                if "Request" not in p or "Response" not in p:
                    fail(f"{action}: request or response schema missing ({sorted(p.values())})")
                result.append((action, p["Request"], p["Response"]))
        return result

    def _load(self):
        pairs = self._pair_files()
        names = {a for a, _, _ in pairs}
        table = set(self.ms.directions)
        if names != table:
            fail(
                f"{self.ms.label}: direction table mismatch; without direction: {sorted(names - table)}, "
                f"not in schemas: {sorted(table - names)}"
            )
        files = {}
        for action, req, resp in pairs:
            files[action] = (
                SchemaFile(os.path.join(self.schema_dir, req), action, "Request"),
                SchemaFile(os.path.join(self.schema_dir, resp), action, "Response") if resp else None,
            )
        self._plan_definitions([sf for pair in files.values() for sf in pair if sf])
        for action, (req, resp) in files.items():
            request = self._root(req)
            response = self._root(resp) if resp else None
            self.actions.append(
                Action(action, self.ms.directions[action], request, response, req.file, resp.file if resp else None)
            )
        self._check_names()

    # -- definitions ---------------------------------------------------------------------
    def _plan_definitions(self, schema_files):
        """Groups same-named definitions; identical ones (docs aside) share one type."""
        variants = {}  # def name -> canonical -> [SchemaFile]
        for sf in schema_files:
            for name in sorted(sf.definitions):
                variants.setdefault(name, {}).setdefault(sf.canonical(name), []).append(sf)
        self._def_plan = {}  # canonical key -> (swift name, def name, [SchemaFile], note)
        for name in sorted(variants):
            forms = variants[name]
            sample = forms[next(iter(forms))][0].definitions[name]
            base = sample.get("javaType") or re.sub(r"Type$", "", name)
            for forms_sfs in forms.values():
                jt = {sf.definitions[name].get("javaType") or re.sub(r"Type$", "", name) for sf in forms_sfs}
                if len(jt) != 1:
                    fail(f"definition {name}: javaType differs between files ({sorted(jt)})")
            if not IDENT.match(base):
                fail(f"definition {name}: unusable type name {base!r}")
            qualify = len(forms) > 1
            for canonical, sfs in sorted(forms.items(), key=lambda kv: min(sf.title for sf in kv[1])):
                sfs = sorted(sfs, key=lambda sf: sf.title)
                swift = f"{sfs[0].action}{base}" if qualify else base
                note = None
                if qualify:
                    note = (
                        f"The schemas define `{name}` differently in different messages; this is the "
                        f"variant of {', '.join(sf.title for sf in sfs)}, so its name is qualified."
                    )
                key = f"{name}\n{canonical}"
                self._def_plan[key] = (swift, name, sfs, note)
                for sf in sfs:
                    self.definition_names[(sf.file, name)] = key

    def _definition_decl(self, sf: SchemaFile, name: str, action: str) -> Decl:
        key = self.definition_names[(sf.file, name)]
        decl = self.definitions.get(key)
        if decl is None:
            swift, def_name, sfs, note = self._def_plan[key]
            # Documentation: the first non-empty description in file order.
            description = None
            for other in sfs:
                description = other.definitions[def_name].get("description")
                if description:
                    break
            node = sfs[0].definitions[def_name]
            where = f"{sfs[0].file}#/definitions/{def_name}"
            check_keywords(node, where)
            t = node.get("type")
            if "enum" in node:
                decl = Decl("enum", swift, description, values=list(node["enum"]))
            elif t == "object":
                decl = Decl("struct", swift, description)
            else:
                fail(f"{where}: definition is neither an object nor a string enum")
            decl.note = note
            self.definitions[key] = decl
            if decl.kind == "struct":
                # Build after registering (a reference back to it would resolve to it).
                self._fill_struct(decl, node, sfs[0], action, where)
        decl.users.add(action)
        if decl.kind == "struct":
            # Propagate use to the definitions this one references.
            for p in decl.props:
                self._mark_users(p.type, action)
        return decl

    def _mark_users(self, t: TypeRef, action: str):
        if t.kind == "array":
            self._mark_users(t.item, action)
        elif t.decl is not None and t.decl.parent is None and action not in t.decl.users:
            t.decl.users.add(action)
            for p in t.decl.props:
                self._mark_users(p.type, action)

    # -- types ---------------------------------------------------------------------------
    def _root(self, sf: SchemaFile) -> Decl:
        node = sf.root
        check_keywords(node, sf.file)
        if node.get("type") != "object":
            fail(f"{sf.file}: the payload schema is not an object")
        decl = Decl("struct", sf.title, node.get("description"))
        self._fill_struct(decl, node, sf, sf.action, sf.file)
        used = set()
        self._collect_refs(sf.root, sf, used)
        for name in sorted(set(sf.definitions) - used):
            self.unused_definitions.append(f"{sf.file}#/definitions/{name}")
        return decl

    def _collect_refs(self, node, sf, used):
        if isinstance(node, dict):
            if "$ref" in node:
                name = sf.definition(node["$ref"])
                if name not in used:
                    used.add(name)
                    self._collect_refs(sf.definitions[name], sf, used)
                return
            for k, v in node.items():
                if k != "definitions":
                    self._collect_refs(v, sf, used)
        elif isinstance(node, list):
            for v in node:
                self._collect_refs(v, sf, used)

    def _fill_struct(self, decl: Decl, node: dict, sf: SchemaFile, action: str, where: str):
        decl.additional = node.get("additionalProperties", True) is not False
        required = node.get("required", [])
        if len(set(required)) != len(required):
            fail(f"{where}: duplicate required entries")
        for pname, pnode in node.get("properties", {}).items():
            if not IDENT.match(pname):
                fail(f"{where}: property name {pname!r} is not a Swift identifier")
            if pname in ("additionalProperties", "object") or pname in UNUSABLE_MEMBER_NAMES:
                fail(f"{where}: property name {pname!r} collides with generated code")
            t = self._type(pnode, sf, action, decl, pname, f"{where}/{pname}")
            decl.props.append(Prop(pname, t, pname in required, pnode.get("description")))

    def _nested_name(self, owner: Decl, hint: str) -> str:
        name = upper_camel(hint)
        if name in RESERVED_TYPE_NAMES or name == owner.name:
            base = owner.name
            for suffix in ("Request", "Response"):
                if owner.parent is None and base.endswith(suffix):
                    base = base[: -len(suffix)]
            name = base + name
        if any(n.name == name for n in owner.nested):
            fail(f"{owner.qualified}: two nested types named {name}")
        return name

    def _type(self, node, sf, action, owner: Decl, hint: str, where: str) -> TypeRef:
        if not isinstance(node, dict):
            fail(f"{where}: schema is not an object")
        check_keywords(node, where)
        if "$ref" in node:
            name = sf.definition(node["$ref"])
            decl = self._definition_decl(sf, name, action)
            return TypeRef("enum" if decl.kind == "enum" else "object", decl=decl)
        t = node.get("type")
        if t is None:
            return TypeRef("any")
        if t == "string":
            if "enum" in node:
                decl = Decl("enum", self._nested_name(owner, hint), node.get("description"), parent=owner)
                decl.values = list(node["enum"])
                decl.generated_doc = f"The values of `{hint}`."
                owner.nested.append(decl)
                return TypeRef("enum", decl=decl)
            if node.get("format") == "date-time":
                return TypeRef("dateTime")
            c = {}
            if "minLength" in node:
                c["minLength"] = int_constraint(node, "minLength")
            if "maxLength" in node:
                c["maxLength"] = int_constraint(node, "maxLength")
            if "format" in node:
                c["format"] = node["format"]  # uri: validated as a plain string
            return TypeRef("string", c)
        if t in ("integer", "number"):
            c = {k: node[k] for k in ("minimum", "maximum", "multipleOf") if k in node}
            for v in c.values():
                number_literal(v)
            if t == "integer":
                c["draft04"] = sf.draft == DRAFT_04
            return TypeRef(t, c)
        if t == "boolean":
            return TypeRef("boolean")
        if t == "object":
            decl = Decl("struct", self._nested_name(owner, hint), node.get("description"), parent=owner)
            decl.generated_doc = f"The `{hint}` object."
            owner.nested.append(decl)
            self._fill_struct(decl, node, sf, action, where)
            return TypeRef("object", decl=decl)
        if t == "array":
            c = {}
            if "minItems" in node:
                c["minItems"] = int_constraint(node, "minItems")
            if "maxItems" in node:
                c["maxItems"] = int_constraint(node, "maxItems")
            item = self._type(node["items"], sf, action, owner, singular(hint), where + "/items")
            if item.decl is not None and item.decl.parent is owner and item.decl.generated_doc:
                item.decl.generated_doc = f"One element of `{hint}`."
            return TypeRef("array", c, item=item)
        fail(f"{where}: unsupported type {t!r}")

    # -- checks --------------------------------------------------------------------------
    def _check_names(self):
        top = {}
        for a in self.actions:
            names = [f"{a.name}Action", a.request.name] + ([a.response.name] if a.response else [])
            for n in names:
                if n in top:
                    fail(f"{self.ms.label}: type name {n} used twice")
                top[n] = a.name
        for d in self.definitions.values():
            if d.name in top:
                fail(f"{self.ms.label}: definition type {d.name} collides with {top[d.name]}")
            top[d.name] = d.name
        for n in top:
            if n in RESERVED_TYPE_NAMES:
                fail(f"{self.ms.label}: type name {n} is reserved")
        # A nested type must not hide a top-level type referenced from inside its owner.
        for decl in self.all_decls():
            if decl.kind != "struct":
                continue
            scope = set()
            p = decl
            while p is not None:
                scope |= {n.name for n in p.nested}
                p = p.parent
            for prop in decl.props:
                t = prop.type
                while t.kind == "array":
                    t = t.item
                if t.decl is not None and t.decl.parent is None and t.decl.name in scope:
                    fail(f"{decl.qualified}.{prop.json_name}: nested type hides {t.decl.name}")

    def all_decls(self):
        out = []

        def walk(d):
            out.append(d)
            for n in d.nested:
                walk(n)

        for a in self.actions:
            walk(a.request)
            if a.response:
                walk(a.response)
        for d in self.definitions.values():
            walk(d)
        return out


# ---------------------------------------------------------------------------------------
# Swift emission
# ---------------------------------------------------------------------------------------
def doc_lines(paragraphs: list, indent: str) -> list:
    """`///` lines for `paragraphs` (lists of text lines), wrapped to DOC_WIDTH."""
    out = []
    width = max(40, DOC_WIDTH - len(indent) - 4)
    first = True
    for para in paragraphs:
        if not para:
            continue
        if not first:
            out.append(f"{indent}///")
        first = False
        for line in para:
            for w in textwrap.wrap(line, width, break_long_words=False, break_on_hyphens=False) or [""]:
                out.append(f"{indent}/// {w}")
    return out


def swift_type(t: TypeRef) -> str:
    return {
        "string": "String",
        "dateTime": "OCPPDateTime",
        "integer": "Int",
        "number": "Double",
        "boolean": "Bool",
        "any": "JSONValue",
    }.get(t.kind) or (f"[{swift_type(t.item)}]" if t.kind == "array" else t.decl.name)


def plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def constraint_text(p: Prop) -> str:
    parts = ["Required." if p.required else "Optional."]

    def describe(t: TypeRef, items: bool):
        c = t.constraints
        noun = "Each item: " if items else ""
        bits = []
        if t.kind == "string":
            if "minLength" in c:
                bits.append(f"at least {plural(c['minLength'], 'character')}")
            if "maxLength" in c:
                bits.append(f"at most {plural(c['maxLength'], 'character')}")
            if c.get("format") == "uri":
                bits.append("a URI (checked as a plain string)")
        elif t.kind == "dateTime":
            bits.append("an RFC 3339 date-time")
        elif t.kind in ("integer", "number"):
            if "minimum" in c:
                bits.append(f"minimum {number_literal(c['minimum'])}")
            if "maximum" in c:
                bits.append(f"maximum {number_literal(c['maximum'])}")
            if "multipleOf" in c:
                bits.append(f"a multiple of {number_literal(c['multipleOf'])}")
        elif t.kind == "any":
            bits.append("any JSON value")
        elif t.kind == "array":
            if "minItems" in c:
                bits.append(f"at least {plural(c['minItems'], 'item')}")
            if "maxItems" in c:
                bits.append(f"at most {plural(c['maxItems'], 'item')}")
        if bits:
            text = ", ".join(bits)
            parts.append(noun + text[0].upper() + text[1:] + ".")
        if t.kind == "array":
            describe(t.item, True)

    describe(p.type, False)
    return " ".join(parts)


def constraint_args(t: TypeRef) -> str:
    """`, maxLength: 20`-style arguments for the constraints the schema states."""
    c = t.constraints
    if t.kind == "string":
        pairs = [(k, c[k]) for k in ("minLength", "maxLength") if k in c]
    elif t.kind == "integer":
        pairs = [(k, number_literal(c[k])) for k in ("minimum", "maximum") if k in c]
        pairs.append(("allowsIntegralFraction", "false" if c["draft04"] else "true"))
    elif t.kind == "number":
        pairs = [(k, number_literal(c[k])) for k in ("minimum", "maximum", "multipleOf") if k in c]
    elif t.kind == "array":
        pairs = [(k, c[k]) for k in ("minItems", "maxItems") if k in c]
    else:
        pairs = []
    return "".join(f", {k}: {v}" for k, v in pairs)


def element_closure(t: TypeRef) -> str:
    """The decode closure `(inout DecodingContext, JSONValue) -> T?` for an array element."""
    a = constraint_args(t)
    if t.kind in ("string", "integer", "number"):
        return f"{{ $0.{t.kind}($1{a}) }}"
    if t.kind in ("dateTime", "boolean", "any"):
        return f"{{ $0.{t.kind}($1) }}"
    if t.kind == "enum":
        return f"{{ $0.enumeration($1, {t.decl.name}.self) }}"
    if t.kind == "object":
        return f"{{ $0.payload($1, {t.decl.name}.self) }}"
    if t.kind == "array":
        return f"{{ c, v in c.array(v{a}) {element_closure(t.item)} }}"
    raise AssertionError(t.kind)


def member_call(p: Prop) -> tuple:
    """The `DecodingContext` member decoder call for property `p`, and its trailing closure
    (arrays only)."""
    t = p.type
    base = f"object, {json.dumps(p.json_name)}, required: {'true' if p.required else 'false'}"
    a = constraint_args(t)
    if t.kind in ("string", "integer", "number", "dateTime", "boolean", "any"):
        return f"context.{t.kind}({base}{a})", None
    if t.kind == "enum":
        return f"context.enumeration({base}, {t.decl.name}.self)", None
    if t.kind == "object":
        return f"context.payload({base}, {t.decl.name}.self)", None
    if t.kind == "array":
        return f"context.array({base}{a})", element_closure(t.item)
    raise AssertionError(t.kind)


def wrapped_call(line: str, indent: str) -> list:
    """`let x = f(a, b)` on one line, or with the arguments on a continuation line."""
    if len(line) <= LINE_WIDTH:
        return [line]
    call, args = line.split("(", 1)
    out = [f"{call}("]
    current = ""
    parts = args[:-1].split(", ")  # no argument contains ", " (names, numbers, Type.self)
    for k, part in enumerate(parts):
        part += ")" if k == len(parts) - 1 else ","
        candidate = f"{current} {part}" if current else f"{indent}    {part}"
        if current and len(candidate) > LINE_WIDTH:
            out.append(current)
            candidate = f"{indent}    {part}"
        current = candidate
    out.append(current)
    return out


def encoded(t: TypeRef, x: str) -> str:
    """Swift expression of type JSONValue for the value `x` of type `t`."""
    if t.kind == "string":
        return f".string({x})"
    if t.kind == "dateTime":
        return f".string({x}.text)"
    if t.kind in ("integer", "number"):
        return f".number(JSONNumber({x}))"
    if t.kind == "boolean":
        return f".bool({x})"
    if t.kind == "any":
        return x
    if t.kind == "enum":
        return f".string({x}.rawValue)"
    if t.kind == "object":
        return f"{x}.encode()"
    if t.kind == "array":
        return f".array({x}.map {{ {encoded(t.item, '$0')} }})"
    raise AssertionError(t.kind)


def local_name(p: Prop) -> str:
    return p.json_name + "Field" if p.json_name in RESERVED_LOCALS else swift_ident(p.json_name)


def emit_enum(d: Decl, indent: str, out: list, fallback_doc: str):
    paragraphs = [clean_lines(d.description) or [d.generated_doc or fallback_doc]]
    if d.note:
        paragraphs.append([d.note])
    out += doc_lines(paragraphs, indent)
    out.append(f"{indent}public enum {d.name}: String, OCPPEnum {{")
    seen = {}
    for value in d.values:
        name = enum_case_name(value)
        if name in seen:
            n = 2
            while f"{name}{n}" in seen:
                n += 1
            name = f"{name}{n}"
        if name in UNUSABLE_MEMBER_NAMES:
            name += "_"
        seen[name] = value
        out.append(f"{indent}    /// `{value}`")
        out.append(f"{indent}    case {swift_ident(name)} = {json.dumps(value)}")
    out.append(f"{indent}}}")


def emit_struct(d: Decl, indent: str, out: list, fallback_doc: str):
    i1 = indent + "    "
    i2 = i1 + "    "
    paragraphs = [clean_lines(d.description) or [d.generated_doc or fallback_doc]]
    if d.note:
        paragraphs.append([d.note])
    out += doc_lines(paragraphs, indent)
    out.append(f"{indent}public struct {d.name}: OCPPPayload {{")
    props = d.props
    for p in props:
        out += doc_lines([clean_lines(p.description), [constraint_text(p)]], i1)
        opt = "" if p.required else "?"
        out.append(f"{i1}public var {swift_ident(p.json_name)}: {swift_type(p.type)}{opt}")
    if d.additional:
        out += doc_lines(
            [["Members that the schema does not declare (it allows any), kept so that the object round-trips unchanged."]],
            i1,
        )
        out.append(f"{i1}public var additionalProperties: JSONObject")
    if props or d.additional:
        out.append("")
    # Memberwise initializer.
    ordered = [p for p in props if p.required] + [p for p in props if not p.required]
    params = []
    for p in ordered:
        name = swift_ident(p.json_name)
        if p.required:
            params.append(f"{name}: {swift_type(p.type)}")
        else:
            params.append(f"{name}: {swift_type(p.type)}? = nil")
    if d.additional:
        params.append("additionalProperties: JSONObject = JSONObject()")
    out.append(f"{i1}/// Memberwise initializer (required first, optionals default to nil).")
    if not params:
        out.append(f"{i1}public init() {{}}")
    else:
        sig = f"{i1}public init({', '.join(params)}) {{"
        if len(sig) > LINE_WIDTH:
            out.append(f"{i1}public init(")
            for k, prm in enumerate(params):
                out.append(f"{i2}{prm}{',' if k < len(params) - 1 else ''}")
            out.append(f"{i1}) {{")
        else:
            out.append(sig)
        for p in ordered:
            name = swift_ident(p.json_name)
            out.append(f"{i2}self.{name} = {name}")
        if d.additional:
            out.append(f"{i2}self.additionalProperties = additionalProperties")
        out.append(f"{i1}}}")
    out.append("")
    # Keys.
    out.append(f"{i1}/// The member names the schema declares.")
    out += wrapped_list(f"{i1}static let keys: [String] = ", [json.dumps(p.json_name) for p in props], i1)
    out.append("")
    # Decode.
    out.append(f"{i1}/// Decodes and validates a `{d.name}`, recording every violation in `context`.")
    # Not inlined (nor `encode()`): otherwise the optimizer copies nested decoders and encoders
    # into their parents, which multiplies release build time and code size.
    out.append(f"{i1}@inline(never)")
    out.append(f"{i1}public static func decode(_ value: JSONValue, _ context: inout DecodingContext) -> Self? {{")
    out.append(f"{i2}guard let object = context.object(value) else {{ return nil }}")
    out.append(f"{i2}let start = context.violations.count")
    for p in props:
        call, trailing = member_call(p)
        if trailing is None:
            out += wrapped_call(f"{i2}let {local_name(p)} = {call}", i2)
        else:
            out += wrapped_closure(f"{i2}let {local_name(p)} = {call}", trailing, i2)
    if d.additional:
        out.append(f"{i2}let additionalProperties = context.additionalMembers(object, excluding: keys)")
    else:
        out.append(f"{i2}context.rejectUnknownKeys(object, keys)")
    out.append(f"{i2}guard context.violations.count == start else {{ return nil }}")
    args = [f"{swift_label(p.json_name)}: {local_name(p)}{'!' if p.required else ''}" for p in ordered]
    if d.additional:
        args.append("additionalProperties: additionalProperties")
    call = f"{i2}return Self({', '.join(args)})"
    if len(call) > LINE_WIDTH:
        out.append(f"{i2}return Self(")
        for k, a in enumerate(args):
            out.append(f"{i2}    {a}{',' if k < len(args) - 1 else ''}")
        out.append(f"{i2})")
    else:
        out.append(call)
    out.append(f"{i1}}}")
    out.append("")
    # Encode.
    out.append(f"{i1}/// The JSON form.")
    out.append(f"{i1}@inline(never)")
    out.append(f"{i1}public func encode() -> JSONValue {{")
    if not props and not d.additional:
        out.append(f"{i2}.object(JSONObject())")
    else:
        out.append(f"{i2}var object = JSONObject()")
        for p in props:
            name = swift_ident(p.json_name)
            key = json.dumps(p.json_name)
            if p.required:
                out += wrapped_append(key, encoded(p.type, name), i2)
            else:
                line = f"{i2}if let {name} {{ object.appendUnchecked({key}, {encoded(p.type, name)}) }}"
                if len(line) <= LINE_WIDTH:
                    out.append(line)
                else:
                    out.append(f"{i2}if let {name} {{")
                    out += wrapped_append(key, encoded(p.type, name), i2 + "    ")
                    out.append(f"{i2}}}")
        if d.additional:
            out.append(f"{i2}for member in additionalProperties where !Self.keys.contains(member.key) {{")
            out.append(f"{i2}    object.appendUnchecked(member.key, member.value)")
            out.append(f"{i2}}}")
        out.append(f"{i2}return .object(object)")
    out.append(f"{i1}}}")
    # Nested types.
    for n in d.nested:
        out.append("")
        if n.kind == "enum":
            emit_enum(n, i1, out, f"The values of `{n.name}`.")
        else:
            emit_struct(n, i1, out, f"The `{n.name}` object.")
    out.append(f"{indent}}}")


def header(text: str) -> list:
    lines = textwrap.wrap(f"Generated by {SCRIPT} from {text}.", LINE_WIDTH - 3, break_on_hyphens=False)
    if len(lines[-1]) + len(" Do not edit.") <= LINE_WIDTH - 3:
        lines[-1] += " Do not edit."
    else:
        lines.append("Do not edit.")
    return [f"// {line}" for line in lines] + ["public import OCPP", ""]


def wrapped_closure(prefix: str, body: str, indent: str) -> list:
    """`prefix { ... }` on one line, or split the way swift-format splits it."""
    line = f"{prefix} {body}"
    if len(line) <= LINE_WIDTH:
        return [line]
    inner = body[2:-2]  # without "{ " and " }"
    if inner.startswith("c, v in ") and len(f"{prefix} {{ c, v in") <= LINE_WIDTH:
        return [f"{prefix} {{ c, v in", f"{indent}    {inner[len('c, v in '):]}", f"{indent}}}"]
    if len(f"{prefix} {{") <= LINE_WIDTH + 1:  # swift-format lets an opening brace reach column 120
        head = [f"{prefix} {{"]
    elif len(prefix) <= LINE_WIDTH:
        head = [prefix, f"{indent}{{"]
    else:
        # Break the argument list: `let x = context.field(` / arguments / `) {`.
        call, args = prefix.split("(", 1)
        head = [f"{call}(", f"{indent}    {args[:-1]}", f"{indent}) {{"]
    return head + [f"{indent}    {inner}", f"{indent}}}"]


def wrapped_append(key: str, value: str, indent: str) -> list:
    """`object.appendUnchecked(key, value)` on one line, or with the arguments on the next."""
    line = f"{indent}object.appendUnchecked({key}, {value})"
    if len(line) <= LINE_WIDTH:
        return [line]
    return [f"{indent}object.appendUnchecked(", f"{indent}    {key}, {value})"]


def wrapped_list(prefix: str, items: list, indent: str) -> list:
    """`prefix[a, b]` on one line, or one item run per line with a trailing comma."""
    line = f"{prefix}[{', '.join(items)}]"
    if len(line) <= LINE_WIDTH:
        return [line]
    out = [f"{prefix}["]
    current = ""
    for item in items:
        candidate = f"{current} {item}," if current else f"{indent}    {item},"
        if current and len(candidate) > LINE_WIDTH:
            out.append(current)
            candidate = f"{indent}    {item},"
        current = candidate
    out.append(current)
    out.append(f"{indent}]")
    return out


def emit_decl(d: Decl, out: list, fallback: str):
    if d.kind == "enum":
        emit_enum(d, "", out, fallback)
    else:
        emit_struct(d, "", out, fallback)


def action_file(model: MessageSetModel, a: Action, local_defs: list) -> str:
    label = model.ms.label
    if a.response:
        src = f"the OCA JSON schemas {a.request.name} and {a.response.name} (OCPP {label})"
    else:
        src = f"the OCA JSON schema {a.request_file[:-5]} (OCPP {label})"
    out = header(src)
    direction = DIRECTION_TEXT[a.direction]
    if a.response:
        out += doc_lines([[f"The {a.name} action of OCPP {label}: the request is {direction}."]], "")
        out.append(f"public enum {a.name}Action: OCPPAction {{")
        out.append("    /// The request payload.")
        out.append(f"    public typealias Request = {a.request.name}")
        out.append("    /// The response payload.")
        out.append(f"    public typealias Response = {a.response.name}")
        out.append("    /// The action name on the wire.")
        out.append(f"    public static let name = {json.dumps(a.name)}")
        out.append("    /// Who sends the request.")
        out.append(f"    public static let direction: ActionDirection = .{a.direction}")
        out.append("}")
        out.append("")
    what = "message" if a.response is None else "request"
    emit_decl(a.request, out, f"The {a.name} {what} of OCPP {label}, {direction}.")
    if a.response:
        out.append("")
        emit_decl(a.response, out, f"The response to a {a.name} request (OCPP {label}).")
    for d in local_defs:
        out.append("")
        emit_decl(d, out, f"`{d.name}` (OCPP {label}).")
    return "\n".join(out) + "\n"


def registry_file(model: MessageSetModel) -> str:
    ms = model.ms
    out = header(f"the OCA JSON schemas of OCPP {ms.label}")
    out.append("extension ActionRegistry {")
    out += doc_lines([[f"Every OCPP {ms.label} action ({len(model.actions)}), with its direction and payload types."]], "    ")
    out.append(f"    public static let {ms.registry} = ActionRegistry(")
    out.append(f"        family: .{ms.family},")
    out.append("        descriptors: [")
    for a in model.actions:
        if a.response:
            out.append(f"            ActionDescriptor({a.name}Action.self),")
        else:
            out.append("            ActionDescriptor(")
            out.append(f"                name: {json.dumps(a.name)}, direction: .{a.direction},")
            out.append(f"                request: PayloadType({a.request.name}.self), response: nil),")
    out.append("        ])")
    out.append("}")
    return "\n".join(out) + "\n"


def generate_module(model: MessageSetModel) -> dict:
    """File name -> contents for one module's Generated folder."""
    files = {}
    label = model.ms.label
    local = {a.name: [] for a in model.actions}
    shared_structs = []
    shared_enums = []
    for d in sorted(model.definitions.values(), key=lambda d: d.name):
        if len(d.users) == 1:
            local[next(iter(d.users))].append(d)
        elif d.kind == "enum":
            shared_enums.append(d)
        else:
            shared_structs.append(d)
    for a in model.actions:
        files[f"{a.name}.swift"] = action_file(model, a, local[a.name])
    for d in shared_structs:
        out = header(f"the definition {d.name} shared by several OCA JSON schemas (OCPP {label})")
        emit_decl(d, out, f"`{d.name}` (OCPP {label}).")
        files[f"Shared/{d.name}.swift"] = "\n".join(out) + "\n"
    if shared_enums:
        out = header(f"the enumerations shared by several OCA JSON schemas (OCPP {label})")
        for k, d in enumerate(shared_enums):
            if k:
                out.append("")
            emit_decl(d, out, f"`{d.name}` (OCPP {label}).")
        files["Shared/Enums.swift"] = "\n".join(out) + "\n"
    files["Registry.swift"] = registry_file(model)
    return files


# ---------------------------------------------------------------------------------------
# Driver
# ---------------------------------------------------------------------------------------
def install_schemas(tmp: str) -> str:
    venv = os.path.join(tmp, "venv")
    print(f"Installing {OCPP_PACKAGE} into a temporary virtual environment ...", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    pip = os.path.join(venv, "bin", "pip")
    subprocess.run(
        [pip, "install", "--quiet", "--disable-pip-version-check", "--no-deps", OCPP_PACKAGE], check=True
    )
    found = glob.glob(os.path.join(venv, "lib", "python*", "site-packages", "ocpp"))
    if len(found) != 1:
        fail(f"cannot find the installed ocpp package in {venv}")
    return found[0]


def generate_all(schemas_root: str) -> dict:
    """Relative path -> contents for every generated file."""
    result = {}
    for ms in MESSAGE_SETS:
        schema_dir = os.path.join(schemas_root, ms.folder, "schemas")
        model = MessageSetModel(ms, schema_dir)
        for name, text in generate_module(model).items():
            result[f"Sources/{ms.module}/Generated/{name}"] = text
        n_types = sum(1 for _ in model.all_decls())
        print(
            f"OCPP {ms.label}: {len(model.actions)} actions, {len(model.definitions)} definition types, "
            f"{n_types} types, {len(model.unused_definitions)} unused definitions",
            file=sys.stderr,
        )
    return result


def write_tree(root: str, files: dict):
    for ms in MESSAGE_SETS:
        d = os.path.join(root, "Sources", ms.module, "Generated")
        if os.path.isdir(d):
            shutil.rmtree(d)
    for rel, text in sorted(files.items()):
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)


def read_tree(root: str) -> dict:
    files = {}
    for ms in MESSAGE_SETS:
        d = os.path.join(root, "Sources", ms.module, "Generated")
        for dirpath, _, names in os.walk(d):
            for n in names:
                path = os.path.join(dirpath, n)
                rel = os.path.relpath(path, root).replace(os.sep, "/")
                with open(path, encoding="utf-8") as f:
                    files[rel] = f.read()
    return files


def check(root: str, files: dict) -> int:
    current = read_tree(root)
    added = sorted(set(files) - set(current))
    removed = sorted(set(current) - set(files))
    changed = sorted(k for k in set(files) & set(current) if files[k] != current[k])
    if not (added or removed or changed):
        print(f"Generated code is up to date ({len(files)} files).")
        return 0
    print("Generated code is out of date; run: python3 Tools/codegen/generate.py")
    for k in added:
        print(f"  missing:   {k}")
    for k in removed:
        print(f"  stale:     {k}")
    for k in changed:
        print(f"  different: {k}")
    shown = 0
    for k in changed[:5]:
        diff = list(
            difflib.unified_diff(
                current[k].splitlines(), files[k].splitlines(), f"a/{k}", f"b/{k}", n=1, lineterm=""
            )
        )
        for line in diff[:40]:
            print(line)
            shown += 1
        if len(diff) > 40:
            print(f"... ({len(diff) - 40} more diff lines)")
    return 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schemas-root", help="folder holding v16/, v201/, v21/ (default: install " + OCPP_PACKAGE + ")")
    parser.add_argument("--out", help="root under which Sources/OCPP*/Generated/ live (default: the repository)")
    parser.add_argument("--check", action="store_true", help="compare instead of writing; exit 1 when out of date")
    args = parser.parse_args(argv)
    root = os.path.abspath(args.out or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    with tempfile.TemporaryDirectory(prefix="ocpp-codegen-") as tmp:
        try:
            schemas_root = args.schemas_root or install_schemas(tmp)
            files = generate_all(schemas_root)
        except SchemaError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
        if args.check:
            return check(root, files)
        write_tree(root, files)
        print(f"Wrote {len(files)} files below {root}/Sources.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
