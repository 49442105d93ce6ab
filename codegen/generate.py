#!/usr/bin/env python3
"""Generate crates/rognito-model/src/generated/ from botocore's cognito-idp service model.

Usage: python3 codegen/generate.py [--check]

The model is read from the installed botocore package (pinned in codegen/requirements.txt, so the
output is reproducible). The output is formatted with rustfmt and committed; CI runs this script
with --check and fails when a committed file is stale.

What is generated, one file per concern:
  * operation.rs: `Operation` (every operation of the service, so a known-but-unimplemented one
    can be told apart from an unknown one) with the facts the gateway needs, from the table in
    codegen/operations.py (implemented, API category, audited, authentication, resource member);
    `ApiCategory`; `ErrorCode` (every exception shape, with its HTTP status).
  * shapes.rs: serde types for every shape the operations reach. Every member is an `Option`, so
    a missing required member is reported by validation with AWS's "Member must not be null"
    instead of failing deserialization; and a `Validate` impl per structure that reports
    violations in the AWS/Coral message form (see validate.rs for the runtime half).
  * rules.rs: the constraint tables the `Validate` impls use.
  * api.rs: the `CognitoApi` trait (one method per operation, defaulting to the not-implemented
    error), `OperationInput` for every input, and `dispatch`, which routes an implemented
    operation to its method through a front end's `Invoke`.

Java regex semantics (what AWS's validators run) are translated for Rust's `regex`: `\\w`, `\\s`,
`\\d` (and their negations) are ASCII-only in Java, and a pattern must match the whole string.

Enum sets are printed by AWS in Java HashSet iteration order, not model order (observed:
`[OPTIONAL, OFF, ON]` for MfaConfiguration, `[implicit, client_credentials, code]` for
AllowedOAuthFlows); we reproduce that order here.
"""

import gzip
import html
import json
import os
import re
import subprocess
import sys
import tempfile

import botocore

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from operations import CATEGORIES, IMPLEMENTED  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(ROOT, "crates", "rognito-model", "src", "generated")
FILES = ["mod.rs", "operation.rs", "shapes.rs", "rules.rs", "api.rs"]

# Errors of the JSON protocol itself, which the model does not list as shapes but an operation
# can answer with: an operation rognito does not implement answers UnknownOperationException; a
# request signed with a key whose identity was deleted while the request was being served
# answers UnrecognizedClientException, as a key unknown at authentication does.
PROTOCOL_ERRORS = {"UnknownOperationException": 400, "UnrecognizedClientException": 400}

# Enum values Cognito accepts that the model does not list yet. GetClientToken's documentation
# requires ALLOW_CLIENT_TOKEN_AUTH in a client's ExplicitAuthFlows, but ExplicitAuthFlowsType lacks it.
EXTRA_ENUM_VALUES = {
    "ExplicitAuthFlowsType": ["ALLOW_CLIENT_TOKEN_AUTH"],
}

# Shapes whose pattern the service checks itself, with a message of its own, instead of the
# model validation's generic one (rognito-ops checks them). DomainType: a prefix domain must
# match, with Cognito's text "The domain name contains an invalid character. ..."
# (mineiros-io/terraform-aws-cognito-user-pool#69), while a custom domain (a fully qualified
# name, with CustomDomainConfig) never could.
SERVICE_CHECKED_PATTERNS = {"DomainType"}

RUST_KEYWORDS = {"type", "match", "ref", "mod", "fn", "use", "self", "struct", "enum", "loop", "move"}


def load_model():
    path = os.path.join(
        os.path.dirname(botocore.__file__), "data", "cognito-idp", "2016-04-18", "service-2.json.gz"
    )
    with gzip.open(path) as f:
        return json.load(f), path


def snake(name):
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()
    if s in RUST_KEYWORDS:
        s += "_"
    return s


def upper_snake(name):
    return snake(name).rstrip("_").upper()


def lower_camel(name):
    """AWS's member path: the model name with only its first letter lowered."""
    return name[:1].lower() + name[1:]


def rust_str(s):
    """A Rust string literal (raw when it helps readability)."""
    if '"#' not in s and "\n" not in s:
        return 'r#"' + s + '"#'
    return json.dumps(s)


# ---------------------------------------------------------------- Java regex -> Rust regex

ASCII_CLASSES = {"w": "word", "s": "space", "d": "digit"}


LOOKBEHIND_AT_END = re.compile(r"^\^(\[[^\]]*\])\*\(\?<!(\\?.)\)\$$")


def translate_pattern(p):
    """Translate a Java regex so Rust's regex crate gives Java's answer for a whole-string match."""
    # Rust's regex has no look-behind. The one form the model uses, `^[class]*(?<!x)$` ("no
    # trailing x"), is the same language as `^(?:[class]*[class&&[^x]])?$`.
    m = LOOKBEHIND_AT_END.match(p)
    if m:
        cls, lit = m.group(1), m.group(2)
        p = "^(?:%s*[%s&&[^%s]])?$" % (cls, cls, lit)
    out = []
    i = 0
    depth = 0  # inside a character class
    while i < len(p):
        c = p[i]
        if c == "\\" and i + 1 < len(p):
            n = p[i + 1]
            low = n.lower()
            if low in ASCII_CLASSES:
                neg = "^" if n.isupper() else ""
                cls = "[:" + neg + ASCII_CLASSES[low] + ":]"
                out.append(cls if depth else "[" + cls + "]")
                i += 2
                continue
            out.append(p[i : i + 2])
            i += 2
            continue
        if c == "[":
            depth += 1
        elif c == "]" and depth:
            depth -= 1
        out.append(c)
        i += 1
    return "^(?:" + "".join(out) + ")$"


# ---------------------------------------------------------------- Java HashSet order


def java_hash(s):
    h = 0
    data = s.encode("utf-16-le")
    for k in range(0, len(data), 2):
        h = (31 * h + (data[k] | (data[k + 1] << 8))) & 0xFFFFFFFF
    return h


def java_hashset_order(values):
    """The iteration order of a java.util.HashSet built from `values` in model order."""
    cap = 16
    while len(values) > cap * 0.75:
        cap *= 2

    def bucket(v):
        h = java_hash(v)
        return (h ^ (h >> 16)) & (cap - 1)

    return sorted(values, key=bucket)  # sorted() is stable: insertion order within a bucket


# ---------------------------------------------------------------- generation


class Gen:
    def __init__(self, model):
        self.model = model
        self.shapes = model["shapes"]
        self.ops = model["operations"]
        self.reachable = self.closure()
        self.files = {f: [] for f in FILES}
        self.out = self.files["shapes.rs"]
        self.rules = {}  # shape name -> rust static name, for strings/numbers/lists/maps with rules
        self.patterns = {}  # pattern text -> static name

    def closure(self):
        seen = set()
        order = []

        def walk(n):
            if n in seen:
                return
            seen.add(n)
            s = self.shapes[n]
            for k in ("member", "key", "value"):
                if k in s:
                    walk(s[k]["shape"])
            for m in s.get("members", {}).values():
                walk(m["shape"])
            order.append(n)

        for name in sorted(self.ops):
            op = self.ops[name]
            for k in ("input", "output"):
                if k in op:
                    walk(op[k]["shape"])
        return sorted(seen)

    def w(self, line=""):
        self.out.append(line)

    # -- rust types

    def rust_type(self, shape_name):
        s = self.shapes[shape_name]
        t = s["type"]
        if t == "string":
            return "String"
        if t == "integer":
            return "i32"
        if t == "long":
            return "i64"
        if t == "boolean":
            return "bool"
        if t == "timestamp":
            return "f64"
        if t == "blob":
            return "String"
        if t == "list":
            return "Vec<" + self.rust_type(s["member"]["shape"]) + ">"
        if t == "map":
            return "BTreeMap<String, " + self.rust_type(s["value"]["shape"]) + ">"
        if t == "structure":
            if s.get("document"):
                return "serde_json::Value"
            return shape_name
        raise ValueError(t)

    # -- constraint statics

    def pattern_static(self, text):
        if text not in self.patterns:
            self.patterns[text] = "PATTERN_%d" % (len(self.patterns) + 1)
        return self.patterns[text]

    def string_rules(self, shape_name):
        s = self.shapes[shape_name]
        name = "STRING_" + upper_snake(shape_name)
        if shape_name in self.rules:
            return self.rules[shape_name]
        pattern = "None"
        if "pattern" in s and shape_name not in SERVICE_CHECKED_PATTERNS:
            pattern = "Some(&" + self.pattern_static(s["pattern"]) + ")"
        enum = "None"
        if "enum" in s:
            values = s["enum"] + EXTRA_ENUM_VALUES.get(shape_name, [])
            enum = "Some(&[" + ", ".join(json.dumps(v) for v in java_hashset_order(values)) + "])"
        self.rules[shape_name] = name
        self.statics.append(
            "pub static %s: StringRules = StringRules { min: %s, max: %s, pattern: %s, enum_values: %s, sensitive: %s };"
            % (
                name,
                opt(s.get("min")),
                opt(s.get("max")),
                pattern,
                enum,
                "true" if s.get("sensitive") else "false",
            )
        )
        return name

    def number_rules(self, shape_name):
        s = self.shapes[shape_name]
        name = "NUMBER_" + upper_snake(shape_name)
        if shape_name not in self.rules:
            self.rules[shape_name] = name
            self.statics.append(
                "pub static %s: NumberRules = NumberRules { min: %s, max: %s };"
                % (name, opt(s.get("min")), opt(s.get("max")))
            )
        return name

    def size_rules(self, shape_name):
        s = self.shapes[shape_name]
        name = "SIZE_" + upper_snake(shape_name)
        if shape_name not in self.rules:
            self.rules[shape_name] = name
            self.statics.append(
                "pub static %s: SizeRules = SizeRules { min: %s, max: %s, sensitive: %s };"
                % (name, opt(s.get("min")), opt(s.get("max")), "true" if s.get("sensitive") else "false")
            )
        return name

    def element_check(self, shape_name):
        """A closure expression checking one list element / map value, or None if unconstrained."""
        s = self.shapes[shape_name]
        t = s["type"]
        if t == "string":
            return "ElementRules::String(&%s)" % self.string_rules(shape_name)
        if t in ("integer", "long"):
            return "ElementRules::Number(&%s)" % self.number_rules(shape_name)
        if t == "structure":
            return "ElementRules::Structure"
        return "ElementRules::None"

    # -- member validation

    def member_validation(self, mname, mshape, required):
        field = snake(mname)
        path = json.dumps(lower_camel(mname))
        req = "true" if required else "false"
        s = self.shapes[mshape]
        t = s["type"]
        if t == "string" or t == "blob":
            return "v.string(%s, self.%s.as_deref(), %s, &%s);" % (path, field, req, self.string_rules(mshape))
        if t in ("integer", "long"):
            # Cognito's Java front end reads an absent required integer as 0 and reports the range
            # ("Value '0' at 'maxResults' ... greater than or equal to 1"), never "must not be null".
            absent = ".or(Some(0))" if required else ""
            return "v.number(%s, self.%s.map(i64::from)%s, %s, &%s);" % (
                path, field, absent, req, self.number_rules(mshape))
        if t in ("boolean", "timestamp"):
            return "v.present(%s, self.%s.is_some(), %s);" % (path, field, req)
        if t == "structure":
            if s.get("document"):
                return "v.present(%s, self.%s.is_some(), %s);" % (path, field, req)
            return "v.structure(%s, self.%s.as_ref(), %s);" % (path, field, req)
        if t == "list":
            return "v.list(%s, self.%s.as_deref(), %s, &%s, %s);" % (
                path,
                field,
                req,
                self.size_rules(mshape),
                self.element_check(s["member"]["shape"]),
            )
        if t == "map":
            return "v.map(%s, self.%s.as_ref(), %s, &%s, %s, %s);" % (
                path,
                field,
                req,
                self.size_rules(mshape),
                self.element_check(s["key"]["shape"]),
                self.element_check(s["value"]["shape"]),
            )
        raise ValueError(t)

    def structure(self, name):
        s = self.shapes[name]
        required = set(s.get("required", []))
        self.w("#[derive(Debug, Clone, Default, PartialEq, Serialize)]")
        self.w("pub struct %s {" % name)
        for mname, m in s["members"].items():
            self.w('    #[serde(rename = "%s", skip_serializing_if = "Option::is_none")]' % mname)
            self.w("    pub %s: Option<%s>," % (snake(mname), self.rust_type(m["shape"])))
        self.w("}")
        self.w()
        # Deserialization accepts only JSON objects (serde's derive would also take arrays).
        self.w("impl ModelStruct for %s {" % name)
        self.w('    const NAME: &\'static str = "%s";' % name)
        self.w("    const FIELDS: &'static [&'static str] = &[" + ", ".join(json.dumps(m) for m in s["members"]) + "];")
        self.w()
        self.w("    fn read_field<'de, M: MapAccess<'de>>(&mut self, field: usize, map: &mut M) -> Result<(), M::Error> {")
        self.w("        match field {")
        for i, mname in enumerate(s["members"]):
            self.w("            %d => self.%s = map.next_value()?," % (i, snake(mname)))
        self.w("            _ => {")
        self.w("                map.next_value::<IgnoredAny>()?;")
        self.w("            }")
        self.w("        }")
        self.w("        Ok(())")
        self.w("    }")
        self.w("}")
        self.w()
        self.w("impl<'de> Deserialize<'de> for %s {" % name)
        self.w("    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {")
        self.w("        deserialize_struct(deserializer)")
        self.w("    }")
        self.w("}")
        self.w()
        body = [
            self.member_validation(mname, m["shape"], mname in required)
            for mname, m in s["members"].items()
        ]
        self.w("impl Validate for %s {" % name)
        if body:
            self.w("    fn validate_members(&self, v: &mut Validator) {")
            for line in body:
                self.w("        " + line)
        else:
            self.w("    fn validate_members(&self, _v: &mut Validator) {")
        self.w("    }")
        self.w("}")
        self.w()

    def select(self, name):
        self.out = self.files[name]

    def header(self, concern):
        meta = self.model["metadata"]
        self.w("// @generated by codegen/generate.py from botocore %s (cognito-idp/%s): %s."
               % (botocore.__version__, meta["apiVersion"], concern))
        self.w("// Do not edit by hand: change the generator or codegen/operations.py, then run")
        self.w("// `python3 codegen/generate.py`.")
        self.w()

    def check_table(self):
        """The table names real operations once each, with known categories, auth kinds and
        resource members that exist in the input shape."""
        seen = set()
        for row in IMPLEMENTED:
            assert row.name in self.ops, "not a Cognito operation: %s" % row.name
            assert row.name not in seen, "listed twice: %s" % row.name
            seen.add(row.name)
            assert row.category is None or row.category in CATEGORIES, row
            assert row.auth in ("sigv4", "client_secret", "none"), row
            model_none = self.ops[row.name].get("authtype") == "none"
            assert (row.auth == "none") == model_none, "auth disagrees with the model: %s" % (row,)
            if row.resource is not None:
                inp = self.ops[row.name]["input"]["shape"]
                assert row.resource in self.shapes[inp]["members"], row
        self.implemented = {row.name: row for row in IMPLEMENTED}

    def generate(self):
        self.statics = []
        self.check_table()
        self.select("shapes.rs")
        self.header("request and response shapes, with their validation")
        self.w("#![allow(clippy::all, missing_docs)]")
        self.w()
        self.w("use std::collections::BTreeMap;")
        self.w()
        self.w("use serde::de::{IgnoredAny, MapAccess};")
        self.w("use serde::{Deserialize, Deserializer, Serialize};")
        self.w()
        self.w("use super::rules::*;")
        self.w("use crate::de::{ModelStruct, deserialize_struct};")
        self.w("use crate::validate::{ElementRules, Validate, Validator};")
        self.w()
        for name in self.reachable:
            s = self.shapes[name]
            if s["type"] == "structure" and not s.get("exception") and not s.get("document"):
                self.structure(name)
        self.select("operation.rs")
        self.header("operations, their facts, API categories and error codes")
        self.operations()
        self.categories()
        self.errors()
        self.select("api.rs")
        self.header("the operation surface")
        self.api()
        # rules last: every structure has registered its constraint statics
        self.select("rules.rs")
        self.header("constraint tables")
        self.w("#![allow(clippy::all, missing_docs)]")
        self.w()
        self.w("use crate::validate::{NumberRules, Pattern, SizeRules, StringRules};")
        self.w()
        for text, static in sorted(self.patterns.items(), key=lambda kv: int(kv[1].split("_")[1])):
            self.w(
                "pub static %s: Pattern = Pattern::new(%s, %s);"
                % (static, rust_str(text), rust_str(translate_pattern(text)))
            )
        for line in self.statics:
            self.w(line)
        self.w()
        self.w("/// Every model pattern in the generated tables, for the compile-all test.")
        self.w("pub static ALL_PATTERNS: &[&Pattern] = &[" + ", ".join("&" + s for s in sorted(self.patterns.values(), key=lambda x: int(x.split("_")[1]))) + "];")
        self.select("mod.rs")
        self.header("the module tree")
        meta = self.model["metadata"]
        self.w("//! Everything generated from botocore's model, by concern: `operation` (the operations and")
        self.w("//! their facts, API categories, error codes), `shapes` (inputs and outputs with their")
        self.w("//! validation), `rules` (constraint tables) and `api` (the `CognitoApi` trait and dispatch).")
        self.w()
        for f in FILES[1:]:
            self.w("mod %s;" % f[:-3])
        self.w()
        for f in FILES[1:]:
            self.w("pub use %s::*;" % f[:-3])
        self.w()
        self.w("/// The botocore release the model was read from.")
        self.w('pub const BOTOCORE_VERSION: &str = "%s";' % botocore.__version__)
        self.w("/// The `X-Amz-Target` prefix: `<prefix>.<Operation>`.")
        self.w('pub const TARGET_PREFIX: &str = "%s";' % meta["targetPrefix"])
        self.w("/// The API version.")
        self.w('pub const API_VERSION: &str = "%s";' % meta["apiVersion"])
        return {name: "\n".join(lines) + "\n" for name, lines in self.files.items()}

    def doc(self, name):
        """The first sentence of an operation's documentation, as plain text."""
        text = self.ops[name].get("documentation", "")
        text = re.sub(r"<note>.*?</note>", " ", text, flags=re.S)
        text = html.unescape(re.sub(r"<[^>]+>", " ", text))
        text = re.sub(r"\s+", " ", text).strip()
        m = re.match(r"(.+?\.)(\s|$)", text)
        first = m.group(1) if m else text
        return first if len(first) <= 300 else first[:297] + "..."

    def operations(self):
        names = sorted(self.ops)
        impl = self.implemented
        self.w("/// Every operation of the service, by its `X-Amz-Target` name.")
        self.w("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]")
        self.w("pub enum Operation {")
        for n in names:
            self.w("    /// %s" % self.doc(n))
            self.w("    %s," % n)
        self.w("}")
        self.w()
        self.w("/// How a caller of an operation proves who it is.")
        self.w("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]")
        self.w("pub enum Authentication {")
        self.w("    /// A SigV4 signature by an IAM identity, whose policies then authorize the call.")
        self.w("    SigV4,")
        self.w("    /// No signature: the app client's id and secret in the input (GetClientToken; the")
        self.w("    /// developer guide says IAM does not evaluate it).")
        self.w("    ClientSecret,")
        self.w("    /// Public: the model's `authtype: none` operations.")
        self.w("    None,")
        self.w("}")
        self.w()
        self.w("impl Operation {")
        self.w("    /// Every operation of the model.")
        self.w("    pub const ALL: &'static [Operation] = &[" + ", ".join("Operation::" + n for n in names) + "];")
        self.w()
        self.w("    /// The operation's name as it appears after the target prefix.")
        self.w("    pub fn name(self) -> &'static str {")
        self.w("        match self {")
        for n in names:
            self.w('            Operation::%s => "%s",' % (n, n))
        self.w("        }")
        self.w("    }")
        self.w()
        self.w("    /// The operation named `name` (case-sensitive), if the model has one.")
        self.w("    pub fn from_name(name: &str) -> Option<Operation> {")
        self.w("        match name {")
        for n in names:
            self.w('            "%s" => Some(Operation::%s),' % (n, n))
        self.w("            _ => None,")
        self.w("        }")
        self.w("    }")
        self.w()
        self.w("    /// Whether rognito implements the operation (codegen/operations.py).")
        self.w("    pub fn implemented(self) -> bool {")
        self.w("        matches!(self, " + " | ".join("Operation::" + n for n in sorted(impl)) + ")")
        self.w("    }")
        self.w()
        self.w("    /// The API category whose request rate the operation spends, for implemented")
        self.w("    /// operations Cognito meters (\"Quotas in Amazon Cognito\").")
        self.w("    pub fn category(self) -> Option<ApiCategory> {")
        self.w("        match self {")
        by_cat = {}
        for n in sorted(impl):
            by_cat.setdefault(impl[n].category, []).append(n)
        for cat in sorted(c for c in by_cat if c):
            self.w("            " + " | ".join("Operation::" + n for n in by_cat[cat]) + " => Some(ApiCategory::%s)," % cat)
        self.w("            _ => None,")
        self.w("        }")
        self.w("    }")
        self.w()
        self.w("    /// Whether each call gets a line in the audit log: the table's answer for implemented")
        self.w("    /// operations (writes and token issuing), else every operation that is not a read")
        self.w("    /// (Describe, List, Get), so attempts at writes rognito lacks are recorded too.")
        self.w("    pub fn audited(self) -> bool {")
        audited = [n for n in names if (impl[n].audited if n in impl else not n.startswith(("Describe", "List", "Get")))]
        self.w("        matches!(self, " + " | ".join("Operation::" + n for n in audited) + ")")
        self.w("    }")
        self.w()
        self.w("    /// How the operation's caller authenticates: the table's answer for implemented")
        self.w("    /// operations, else the model's (`authtype: none` is public, the rest signed).")
        self.w("    pub fn authentication(self) -> Authentication {")
        self.w("        match self {")
        kinds = {"sigv4": "SigV4", "client_secret": "ClientSecret", "none": "None"}
        by_auth = {}
        for n in names:
            if n in impl:
                k = kinds[impl[n].auth]
            else:
                k = "None" if self.ops[n].get("authtype") == "none" else "SigV4"
            by_auth.setdefault(k, []).append(n)
        for k in ("ClientSecret", "None"):
            if k in by_auth:
                self.w("            " + " | ".join("Operation::" + n for n in by_auth[k]) + " => Authentication::%s," % k)
        self.w("            _ => Authentication::SigV4,")
        self.w("        }")
        self.w("    }")
        self.w("}")
        self.w()

    def categories(self):
        cats = sorted(CATEGORIES)
        self.w("/// Cognito's API categories for request-rate quotas (\"Quotas in Amazon Cognito\"), those")
        self.w("/// of the operations rognito implements.")
        self.w("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]")
        self.w("pub enum ApiCategory {")
        for c in cats:
            self.w("    %s," % c)
        self.w("}")
        self.w()
        self.w("impl ApiCategory {")
        self.w("    /// Every category.")
        self.w("    pub const ALL: &'static [ApiCategory] = &[" + ", ".join("ApiCategory::" + c for c in cats) + "];")
        self.w()
        self.w("    /// The category's name, as GetProvisionedLimit's `Category` attribute gives it.")
        self.w("    pub fn name(self) -> &'static str {")
        self.w("        match self {")
        for c in cats:
            self.w('            ApiCategory::%s => "%s",' % (c, c))
        self.w("        }")
        self.w("    }")
        self.w()
        self.w("    /// The category named `name`, if rognito knows it.")
        self.w("    pub fn from_name(name: &str) -> Option<ApiCategory> {")
        self.w("        ApiCategory::ALL.iter().copied().find(|c| c.name() == name)")
        self.w("    }")
        self.w()
        self.w("    /// AWS's default rate, in requests per second.")
        self.w("    pub fn default_rate(self) -> u32 {")
        self.w("        match self {")
        for c in cats:
            self.w("            ApiCategory::%s => %d," % (c, CATEGORIES[c]))
        self.w("        }")
        self.w("    }")
        self.w("}")
        self.w()

    def errors(self):
        exc = sorted(set(n for n, s in self.shapes.items() if s.get("exception")) | set(PROTOCOL_ERRORS))
        self.w("/// Every exception shape of the service (the `__type` of an error response), and the")
        self.w("/// protocol's own errors an operation can answer with (UnknownOperationException).")
        self.w("#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]")
        self.w("pub enum ErrorCode {")
        for n in exc:
            self.w("    %s," % n)
        self.w("}")
        self.w()
        self.w("impl ErrorCode {")
        self.w("    /// The `__type` name.")
        self.w("    pub fn name(self) -> &'static str {")
        self.w("        match self {")
        for n in exc:
            self.w('            ErrorCode::%s => "%s",' % (n, n))
        self.w("        }")
        self.w("    }")
        self.w()
        self.w("    /// The HTTP status AWS answers with: 500 for server faults, 400 for client errors.")
        self.w("    pub fn http_status(self) -> u16 {")
        self.w("        match self {")
        faults = [n for n in exc if self.shapes.get(n, {}).get("fault")]
        self.w("            " + " | ".join("ErrorCode::" + n for n in faults) + " => 500,")
        self.w("            _ => 400,")
        self.w("        }")
        self.w("    }")
        self.w("}")
        self.w()

    def output_type(self, op):
        out = self.ops[op].get("output", {}).get("shape")
        return out or "crate::EmptyOutput"

    def api(self):
        names = sorted(self.ops)
        self.w("use std::future::Future;")
        self.w()
        self.w("use serde::Serialize;")
        self.w("use serde::de::DeserializeOwned;")
        self.w()
        self.w("use super::operation::Operation;")
        self.w("use super::shapes::*;")
        self.w("use crate::{CognitoError, Output, RequestContext, Resource, Validate};")
        self.w()
        self.w("/// An operation's typed input: decoded from the request, validated against the model, and")
        self.w("/// naming the IAM resource the call is authorized on.")
        self.w("pub trait OperationInput: DeserializeOwned + Validate + Send + 'static {")
        self.w("    /// The resource the input names (codegen/operations.py's resource member).")
        self.w("    fn resource(&self) -> Resource<'_>;")
        self.w("}")
        self.w()
        inputs = {}
        for n in names:
            inp = self.ops[n]["input"]["shape"]
            if n in self.implemented:
                member = self.implemented[n].resource
            else:
                members = self.shapes[inp]["members"]
                member = "UserPoolId" if "UserPoolId" in members else ("ResourceArn" if "ResourceArn" in members else None)
            assert inputs.get(inp, member) == member, inp
            inputs[inp] = member
        for inp in sorted(inputs):
            member = inputs[inp]
            self.w("impl OperationInput for %s {" % inp)
            self.w("    fn resource(&self) -> Resource<'_> {")
            if member is None:
                self.w("        Resource::Any")
            else:
                variant = "UserPool" if member == "UserPoolId" else "Arn"
                self.w("        self.%s.as_deref().map_or(Resource::Any, Resource::%s)" % (snake(member), variant))
            self.w("    }")
            self.w("}")
            self.w()
        self.w("/// The Cognito user-pool API: one method per operation of the model. Each defaults to")
        self.w("/// the not-implemented error; rognito-ops implements those codegen/operations.py lists.")
        self.w("/// Inputs arrive validated and authorized (see `dispatch`).")
        self.w("pub trait CognitoApi: Send + Sync {")
        for n in names:
            inp = self.ops[n]["input"]["shape"]
            self.w("    /// `%s`: %s" % (n, self.doc(n)))
            self.w("    fn %s(&self, ctx: &RequestContext, input: %s) -> impl Future<Output = Result<Output<%s>, CognitoError>> + Send {"
                   % (snake(n), inp, self.output_type(n)))
            self.w("        let _ = (ctx, input);")
            self.w("        std::future::ready(Err(CognitoError::not_implemented(Operation::%s)))" % n)
            self.w("    }")
            self.w()
        self.w("}")
        self.w()
        self.w("/// One operation as a type: its input, output and `CognitoApi` method, so a front end's")
        self.w("/// `Invoke` can run any operation with one generic function.")
        self.w("pub trait ApiOperation {")
        self.w("    /// The operation.")
        self.w("    const OPERATION: Operation;")
        self.w("    /// Its input shape.")
        self.w("    type Input: OperationInput;")
        self.w("    /// Its output shape.")
        self.w("    type Output: Serialize + Send;")
        self.w("    /// Calls the operation's method on `api`.")
        self.w("    fn call<A: CognitoApi + ?Sized>(api: &A, ctx: &RequestContext, input: Self::Input) -> impl Future<Output = Result<Output<Self::Output>, CognitoError>> + Send;")
        self.w("}")
        self.w()
        self.w("/// The implemented operations as types (`ApiOperation`), named as the operations are.")
        self.w("pub mod operations {")
        self.w("    use super::*;")
        self.w()
        for n in sorted(self.implemented):
            inp = self.ops[n]["input"]["shape"]
            self.w("    /// `%s`." % n)
            self.w("    pub struct %s;" % n)
            self.w()
            self.w("    impl ApiOperation for %s {" % n)
            self.w("        const OPERATION: Operation = Operation::%s;" % n)
            self.w("        type Input = %s;" % inp)
            self.w("        type Output = %s;" % self.output_type(n))
            self.w("        fn call<A: CognitoApi + ?Sized>(api: &A, ctx: &RequestContext, input: Self::Input) -> impl Future<Output = Result<Output<Self::Output>, CognitoError>> + Send {")
            self.w("            api.%s(ctx, input)" % snake(n))
            self.w("        }")
            self.w("    }")
            self.w()
        self.w("}")
        self.w()
        self.w("/// How a front end runs one operation: `dispatch` names the operation as a type, and the")
        self.w("/// front end decodes, guards, calls (`O::call`) and renders.")
        self.w("pub trait Invoke {")
        self.w("    /// What the front end makes of a call (a response, a result).")
        self.w("    type Output;")
        self.w()
        self.w("    /// Runs the implemented operation `O` on `api`.")
        self.w("    fn invoke<O: ApiOperation, A: CognitoApi + ?Sized>(self, api: &A) -> impl Future<Output = Self::Output> + Send;")
        self.w()
        self.w("    /// Answers an operation rognito does not implement.")
        self.w("    fn not_implemented(self, operation: Operation) -> Self::Output;")
        self.w("}")
        self.w()
        self.w("/// Routes `operation` through `invoke` as its `ApiOperation` type; an operation rognito")
        self.w("/// does not implement goes to `Invoke::not_implemented`, before any decoding.")
        self.w("pub async fn dispatch<A, V>(api: &A, operation: Operation, invoke: V) -> V::Output")
        self.w("where")
        self.w("    A: CognitoApi + ?Sized,")
        self.w("    V: Invoke,")
        self.w("{")
        self.w("    match operation {")
        for n in sorted(self.implemented):
            self.w("        Operation::%s => invoke.invoke::<operations::%s, A>(api).await," % (n, n))
        self.w("        other => invoke.not_implemented(other),")
        self.w("    }")
        self.w("}")


def opt(v):
    return "None" if v is None else "Some(%d)" % v


def main():
    model, _path = load_model()
    files = Gen(model).generate()
    with tempfile.TemporaryDirectory() as tmp:
        for name, code in files.items():
            with open(os.path.join(tmp, name), "w") as f:
                f.write(code)
        # rustfmt follows mod.rs's `mod` lines, so this formats every file.
        subprocess.run(["rustfmt", "--edition", "2024", os.path.join(tmp, "mod.rs")], check=True)
        for name in files:
            with open(os.path.join(tmp, name)) as f:
                files[name] = f.read()
    if "--check" in sys.argv:
        stale = []
        for name, code in files.items():
            path = os.path.join(OUT_DIR, name)
            if not os.path.exists(path) or open(path).read() != code:
                stale.append(name)
        extra = sorted(set(os.listdir(OUT_DIR)) - set(files)) if os.path.isdir(OUT_DIR) else []
        if stale or extra:
            print("generated/ is stale (%s): run python3 codegen/generate.py and commit it"
                  % ", ".join(stale + extra), file=sys.stderr)
            sys.exit(1)
        print("generated/ is up to date (botocore %s)" % botocore.__version__)
        return
    os.makedirs(OUT_DIR, exist_ok=True)
    for name in os.listdir(OUT_DIR):
        if name not in files:
            os.unlink(os.path.join(OUT_DIR, name))
    for name, code in files.items():
        with open(os.path.join(OUT_DIR, name), "w") as f:
            f.write(code)
    print("wrote %s (botocore %s, %d operations, %d implemented)" % (
        os.path.relpath(OUT_DIR, ROOT), botocore.__version__, len(model["operations"]), len(IMPLEMENTED)))


if __name__ == "__main__":
    main()
