"""The dictionary as a GraphQL schema (SDL), in peregrine's shape.

Peregrine (Gen3's query service) exposes one root field per node type,
named as the node type, plus `_<type>_count`; one object type per node
type with its properties, `id`, `type` and `project_id`; and every link,
both ways, as a list field with a `_<link>_count` beside it, taking the
same arguments as the root fields. Its quirks are kept so that existing
queries and clients keep working: integers and numbers are Float, arrays
are [String], datetimes are String. Every node type implements the `Node`
interface (and the data file types `DataNode`), which the generic root
fields `node` and `datanode` list; `_node_type` lists the node types
themselves and `viewer` repeats the per-type root fields, as in peregrine.
Beyond peregrine, every list and count takes `filter`, guppy's filter
language. Peregrine's transaction log is served as it names it:
`transaction_log` and `_transaction_log_count` at the root, and on every node
type `_transaction_logs`, `_transaction_logs_count` (the records that wrote
that node) and `_links` (its parents and children, as `Node`s).

Enums become GraphQL enums only where every value is a valid GraphQL name
(`Tumor` is, `Not Reported` and `01` are not); otherwise String. Each node
type also gets `<Type>Input` for submission.

The text is written directly rather than printed from graphql-core objects:
a large dictionary repeats every argument list on every link field, and
building those objects took most of the compile time. Tests parse and
validate the output with graphql-core's `build_schema`. Output is
deterministic: it changes only when the dictionary does.
"""

from __future__ import annotations

from collections.abc import Iterator

from graphql.language.print_string import print_string

from engine.dictionary.graphql_names import GraphQLNames, enum_values, graphql_names
from engine.dictionary.model import Dictionary, NodeType, Property

# The arguments of every list and count field, as peregrine takes them.
QUERY_ARGUMENTS = {
    "id": "String",
    "ids": "[String]",
    "project_id": "[String]",
    "first": "Int = 10",
    "offset": "Int = 0",
    "order_by_asc": "String",
    "order_by_desc": "String",
    "quick_search": "String",
    "with_links": "[String]",
    "with_links_any": "[String]",
    "without_links": "[String]",
    "with_path_to": "JSON",
    "with_path_to_any": "JSON",
    "without_path_to": "JSON",
    "not": "JSON",
    "created_before": "String",
    "created_after": "String",
    "updated_before": "String",
    "updated_after": "String",
    "filter": "JSON",
}
# The arguments of `node` and `datanode` (peregrine's, plus submitter_id and filter).
NODE_ARGUMENTS = {
    "id": "String",
    "ids": "[String]",
    "project_id": "[String]",
    "submitter_id": "[String]",
    "of_type": "[String]",
    "category": "String",
    "first": "Int = 10",
    "offset": "Int = 0",
    "order_by_asc": "String",
    "order_by_desc": "String",
    "quick_search": "String",
    "created_before": "String",
    "created_after": "String",
    "updated_before": "String",
    "updated_after": "String",
    "filter": "JSON",
}
# `_links`: peregrine's Node-interface arguments but `of_type` (the types are the neighbours').
LINKS_ARGUMENTS = {name: kind for name, kind in NODE_ARGUMENTS.items() if name != "of_type"}
# The arguments of peregrine's transaction log fields, in its order; `first` is 10 when
# not given (0: all), `last` the newest records.
TRANSACTION_ARGUMENTS = {
    "id": "ID",
    "type": "String",
    "quick_search": "ID",
    "project_id": "[String]",
    "project": "String",
    "program": "String",
    "order_by_asc": "String",
    "order_by_desc": "String",
    "related_cases": "[String]",
    "first": "Int",
    "last": "Int",
    "offset": "Int",
    "entities": "[String]",
    "is_dry_run": "Boolean",
    "closed": "Boolean",
    "committable": "Boolean",
    "state": "String",
    "committed_by": "ID",
}
# Arguments described in the schema, as peregrine describes them.
ARGUMENT_DESCRIPTIONS = {
    "committable": (
        '(committable: true) means (is_dry_run: true) AND (closed: false) AND (state: "SUCCEEDED") '
        "AND (committed_by is None)."
    ),
}
# What `_node_type` tells of each node type, read from its schema.
NODE_TYPE_FIELDS = (
    "id",
    "title",
    "category",
    "description",
    "namespace",
    "program",
    "project",
    "submittable",
)
SCALARS = {"integer": "Float", "number": "Float", "boolean": "Boolean"}
# The fields of the Node interface, on every node type (peregrine's `Node`).
FIXED_FIELDS = {
    "id": "ID!",
    "submitter_id": "String",
    "type": "String",
    "project_id": "String",
    "created_datetime": "String",
    "updated_datetime": "String",
}
DEPRECATED = ' @deprecated(reason: "Deprecated in the dictionary.")'
SHARED_TYPES = {
    "JSON": '"Any JSON value: filters such as `with_path_to` take objects."\nscalar JSON',
    "LinkInput": (
        '"A reference to an existing node by one of its unique keys, as Gen3 submissions write links."\n'
        "input LinkInput {\n"
        "  id: String\n"
        "  submitter_id: String\n"
        '  "For links to a project."\n'
        "  code: String\n"
        '  "For links to a program."\n'
        "  name: String\n"
        "}"
    ),
}


# What a submission mutation answers: sheepdog's transaction JSON, as types.
SUBMISSION_TYPES = {
    "SubmissionResult": (
        '"The answer to a submission or deletion, in the shape of sheepdog\'s transaction JSON."\n'
        "type SubmissionResult {\n"
        "  code: Int\n  success: Boolean\n  message: String\n  transaction_id: String\n"
        "  entity_error_count: Int\n  transactional_error_count: Int\n"
        "  transactional_errors: [String]\n  created_entity_count: Int\n"
        "  updated_entity_count: Int\n  deleted_entity_count: Int\n  dependent_ids: String\n"
        "  entities: [SubmittedEntity]\n}"
    ),
    "SubmittedEntity": (
        "type SubmittedEntity {\n  id: String\n  type: String\n  action: String\n  valid: Boolean\n"
        "  errors: [SubmissionError]\n  warnings: [String]\n  unique_keys: [UniqueKey]\n}"
    ),
    "SubmissionError": "type SubmissionError {\n  type: String\n  message: String\n  keys: [String]\n}",
    "UniqueKey": "type UniqueKey {\n  project_id: String\n  submitter_id: String\n}",
}


# Peregrine's transaction log types, named as it names them (the portal's queries are
# compiled against them). `TransactionSnapshot.entity_id` is ours: the entity written.
TRANSACTION_TYPES = {
    "TransactionLog": (
        '"A submission or deletion, as the transaction log records it."\n'
        "type TransactionLog {\n"
        "  id: ID\n  is_dry_run: Boolean\n  closed: Boolean\n  committed_by: ID\n"
        "  state: String\n  type: String\n  quick_search: ID\n  submitter: String\n"
        "  role: String\n  program: String\n  project: String\n  created_datetime: String\n"
        "  canonical_json: String\n  project_id: String\n  snapshots: [TransactionSnapshot]\n"
        "  documents: [TransactionDocument]\n"
        "  related_cases: [TransactionResponseEntityRelatedCases]\n}"
    ),
    "TransactionSnapshot": (
        '"An entity as a transaction wrote it: its properties before and after (JSON text)."\n'
        "type TransactionSnapshot {\n  id: ID\n  transaction_id: Int\n  entity_id: String\n"
        "  action: String\n  old_props: String\n  new_props: String\n}"
    ),
    "TransactionDocument": (
        '"A document of a transaction as it was sent, and the answer to it."\n'
        "type TransactionDocument {\n  id: ID\n  transaction_id: ID\n  doc_format: String\n"
        "  doc: String\n  doc_size: Int\n  name: String\n  response_json: String\n"
        "  response: TransactionResponse\n}"
    ),
    "TransactionResponse": (
        "type TransactionResponse {\n  transaction_id: ID\n  success: Boolean\n"
        "  entity_error_count: Int\n  transactional_error_count: Int\n  code: Int\n"
        "  message: String\n  transactional_errors: Int\n  created_entity_count: Int\n"
        "  updated_entity_count: Int\n  released_entity_count: Int\n"
        "  cases_related_to_updated_entities_count: Int\n"
        "  cases_related_to_created_entities_count: Int\n"
        "  entities: [TransactionResponseEntity]\n}"
    ),
    "TransactionResponseEntity": (
        "type TransactionResponseEntity {\n  valid: Boolean\n  action: String\n  type: String\n"
        "  id: String\n  unique_keys: String\n"
        "  related_cases: [TransactionResponseEntityRelatedCases]\n"
        "  errors: [TransactionResponseError]\n  warnings: String\n}"
    ),
    "TransactionResponseError": (
        "type TransactionResponseError {\n  keys: [String]\n"
        '  "Entities that depend on this one, so that the transaction failed."\n'
        "  dependents: [GenericEntity]\n  message: String\n  type: String\n}"
    ),
    "TransactionResponseEntityRelatedCases": (
        "type TransactionResponseEntityRelatedCases {\n  id: String\n  submitter_id: String\n}"
    ),
    "GenericEntity": "type GenericEntity {\n  id: String\n  type: String\n}",
}


def submitted_through_graphql(dictionary: Dictionary) -> list[str]:
    """The node types with a `submit<Type>` mutation: programs and projects are made by admins."""
    return [
        name
        for name in sorted(dictionary.nodes)
        if dictionary.nodes[name].submittable and name not in ("program", "project")
    ]


def submit_field(names: GraphQLNames, node: str) -> str:
    """The mutation submitting `node`, named after its input type, which is already unique:
    `ReadGroupInput` -> `submitReadGroup`, a clashing `ReadGroupInput_` -> `submitReadGroup_`."""
    input_name = names.inputs[node]
    cut = input_name.rfind("Input")
    return "submit" + input_name[:cut] + input_name[cut + len("Input") :]


def _arguments(arguments: dict[str, str]) -> str:
    return (
        "(\n"
        + "".join(
            f"{_described(ARGUMENT_DESCRIPTIONS.get(name, ''), '    ')}    {name}: {kind}\n"
            for name, kind in arguments.items()
        )
        + "  )"
    )


def _fields(fields: dict[str, str]) -> str:
    return "".join(f"  {name}: {kind}\n" for name, kind in fields.items())


def is_data_node(node: NodeType) -> bool:
    """A node type describing a file (`data_file`, `index_file`, ...): what `datanode` lists."""
    return node.category.endswith("_file")


def _described(text: str, indent: str) -> str:
    return f"{indent}{print_string(text)}\n" if text else ""


class _Writer:
    def __init__(self, dictionary: Dictionary) -> None:
        self.dictionary = dictionary
        self.names: GraphQLNames = graphql_names(dictionary)
        self._arguments: dict[str, str] = {}
        self.transaction_arguments = _arguments(TRANSACTION_ARGUMENTS)
        self.links_arguments = _arguments(LINKS_ARGUMENTS)

    def arguments(self, node: str) -> str:
        """`(id: String ... state: [String])` for fields listing `node`; written once per node type."""
        if node not in self._arguments:
            properties = self.dictionary.nodes[node].properties
            filters = {
                name: f"[{SCALARS.get(prop.kind, 'String')}]"
                for name, prop in sorted(properties.items())
                if name not in QUERY_ARGUMENTS
            }
            self._arguments[node] = _arguments({**QUERY_ARGUMENTS, **filters})
        return self._arguments[node]

    def _output_type(self, node: NodeType, prop: Property) -> str:
        enum = self.names.enums.get((node.name, prop.name))
        if prop.kind == "array":
            return f"[{enum or 'String'}]"
        return enum or SCALARS.get(prop.kind, "String")

    def _input_type(self, node: NodeType, prop: Property) -> str:
        enum = self.names.enums.get((node.name, prop.name))
        if prop.kind == "array":
            return f"[{enum or SCALARS.get(prop.item_kind or 'string', 'String')}]"
        if prop.kind == "object":
            return "JSON"
        return enum or SCALARS.get(prop.kind, "String")

    def object_type(self, node: NodeType) -> str:
        lines = [f"  {name}: {kind}\n" for name, kind in FIXED_FIELDS.items()]
        for name in sorted(set(node.properties) - set(FIXED_FIELDS)):
            prop = node.properties[name]
            deprecated = DEPRECATED if prop.deprecated else ""
            lines.append(
                f"{_described(prop.description, '  ')}  {name}: {self._output_type(node, prop)}{deprecated}\n"
            )
        for name in sorted(node.edges):
            target = node.edges[name].target
            arguments = self.arguments(target)
            lines.append(f"  {name}{arguments}: [{self.names.types[target]}]\n")
            lines.append(f"  _{name}_count{arguments}: Int\n")
        lines.append(f"  _transaction_logs{self.transaction_arguments}: [TransactionLog]\n")
        lines.append(f"  _transaction_logs_count{self.transaction_arguments}: Int\n")
        lines.append(f"  _links{self.links_arguments}: [Node]\n")
        interfaces = " & DataNode" if node.name in self.data_nodes else ""
        return (
            f"{_described(node.description, '')}type {self.names.types[node.name]} "
            f"implements Node{interfaces} {{\n{''.join(lines)}}}"
        )

    def input_type(self, node: NodeType) -> str:
        system = set(node.system_properties) - {"id"}
        lines = ["  id: String\n", "  type: String\n"]
        for name in sorted(set(node.properties) - system - {"id", "type"}):
            lines.append(f"  {name}: {self._input_type(node, node.properties[name])}\n")
        for name in sorted(link.name for link in node.links):
            lines.append(f"  {name}: [LinkInput]\n")
        description = print_string(f"A `{node.name}` entity as submitted.")
        return f"{description}\ninput {self.names.inputs[node.name]} {{\n{''.join(lines)}}}"

    def enum_type(self, node: str, prop: str) -> str:
        values = "".join(
            f"  {value}\n"
            for value in enum_values(self.dictionary.nodes[node].properties[prop]) or ()
        )
        return f"enum {self.names.enums[node, prop]} {{\n{values}}}"

    def node_fields(self) -> str:
        """A list and a count per node type: the fields of `Query` and of `viewer`."""
        lines = []
        for node in sorted(self.dictionary.nodes):
            arguments = self.arguments(node)
            lines.append(f"  {node}{arguments}: [{self.names.types[node]}]\n")
            lines.append(f"  _{node}_count{arguments}: Int\n")
        return "".join(lines)

    @property
    def data_nodes(self) -> list[str]:
        return sorted(name for name, node in self.dictionary.nodes.items() if is_data_node(node))

    def data_properties(self) -> dict[str, tuple[str, str]]:
        """(output type, filter type) of the properties every data node type has alike."""
        nodes = [self.dictionary.nodes[name] for name in self.data_nodes]
        shared = set.intersection(*(set(node.properties) for node in nodes)) - set(FIXED_FIELDS)
        found = {}
        for name in sorted(shared):
            kinds = {self._output_type(node, node.properties[name]) for node in nodes}
            if len(kinds) == 1:
                found[name] = (
                    kinds.pop(),
                    f"[{SCALARS.get(nodes[0].properties[name].kind, 'String')}]",
                )
        return found

    def query(self) -> str:
        lines = [self.node_fields()]
        node_arguments = _arguments(NODE_ARGUMENTS)
        lines.append(f"  node{node_arguments}: [Node]\n")
        if self.data_nodes:
            filters = {name: kinds[1] for name, kinds in self.data_properties().items()}
            lines.append(f"  datanode{_arguments({**NODE_ARGUMENTS, **filters})}: [DataNode]\n")
        type_arguments = {
            "first": "Int = 10",
            "offset": "Int = 0",
            "order_by_asc": "String",
            "order_by_desc": "String",
            **dict.fromkeys(NODE_TYPE_FIELDS, "String"),
        }
        lines.append(f"  _node_type{_arguments(type_arguments)}: [_NodeType]\n")
        lines.append("  viewer: viewer\n")
        if "transaction_log" not in self.dictionary.nodes:  # a node type of that name wins
            lines.append(f"  transaction_log{self.transaction_arguments}: [TransactionLog]\n")
            lines.append(f"  _transaction_log_count{self.transaction_arguments}: Int\n")
        return "type Query {\n" + "".join(lines) + "}"

    def mutation(self) -> str:
        """`submit<Type>` per submittable node type and `delete`: sheepdog's PUT and DELETE."""
        lines = [
            f"  {submit_field(self.names, name)}(project_id: String!, "
            f"input: [{self.names.inputs[name]}!]!, dry_run: Boolean = false): SubmissionResult\n"
            for name in submitted_through_graphql(self.dictionary)
        ]
        lines.append(
            "  delete(project_id: String!, ids: [String!]!, cascade: Boolean = false): SubmissionResult\n"
        )
        return "type Mutation {\n" + "".join(lines) + "}"

    def generic_types(self) -> Iterator[tuple[str, str]]:
        """The interfaces and types of the generic root fields."""
        yield (
            "Node",
            (
                '"What every node has: the type of `node(...)`."\n'
                f"interface Node {{\n{_fields(FIXED_FIELDS)}}}"
            ),
        )
        if self.data_nodes:
            fields = {
                **FIXED_FIELDS,
                **{name: kinds[0] for name, kinds in self.data_properties().items()},
            }
            yield (
                "DataNode",
                (
                    '"What every data file node has: the type of `datanode(...)`."\n'
                    f"interface DataNode implements Node {{\n{_fields(fields)}}}"
                ),
            )
        yield (
            "_NodeType",
            (
                '"A node type of the dictionary, as `_node_type` lists it."\n'
                f"type _NodeType {{\n{_fields(dict.fromkeys(NODE_TYPE_FIELDS, 'String'))}}}"
            ),
        )
        yield (
            "viewer",
            (
                '"The per-type root fields again, as peregrine\'s `viewer` has them."\n'
                f"type viewer {{\n{self.node_fields()}}}"
            ),
        )

    def named_types(self) -> Iterator[tuple[str, str]]:
        """(type name, SDL) for every type but Query."""
        for name, node in self.dictionary.nodes.items():
            yield self.names.types[name], self.object_type(node)
            yield self.names.inputs[name], self.input_type(node)
        for (node, prop), name in self.names.enums.items():
            yield name, self.enum_type(node, prop)
        yield from SHARED_TYPES.items()
        yield from SUBMISSION_TYPES.items()
        yield from TRANSACTION_TYPES.items()
        yield from self.generic_types()


def compile_sdl(dictionary: Dictionary) -> str:
    """The SDL text: `Query` and `Mutation` first, then every other type sorted by name."""
    writer = _Writer(dictionary)
    types = [text for _, text in sorted(writer.named_types())]
    return "\n\n".join([writer.query(), writer.mutation(), *types]) + "\n"
