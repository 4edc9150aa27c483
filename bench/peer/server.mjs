// The benchmark peer: @neo4j/graphql (Neo4j's own GraphQL library) over the Credit Hub graph.
//
// What a team would write instead of the hub: typeDefs over the same labels and relationships
// (graph/model.py), the library generating queries, filters, sorting and connections (and the
// fulltext search over the hub's index, `@fulltext`), and `@cypher` only where the library has
// no construct (an "on an active list" flag, one representative, the enterprises behind a
// person over several relationship types, a list entry's expiry, the category label). It does no
// authorisation and writes nothing: the client asks with `where` filters for the rows the
// hub's consumer would see. bench/journeys.py installs it (`npm ci`) and starts it:
//
//   PEER_PORT=… NEO4J_URI=bolt://127.0.0.1:17689 NEO4J_USER=neo4j NEO4J_PASSWORD=… \
//   NEO4J_DATABASE=neo4j PEER_CATEGORY_LABELS='{"91": "企业", …}' node server.mjs
//
// POST /graphql {query, variables} → the GraphQL result as JSON; GET /healthz → 200 once the
// schema is built. One process, one event loop, unless PEER_PROCESSES=N: then N processes share
// the port (node:cluster), as a deployment gives Node one process per core (the journeys bench
// runs it so with `--workers N`, the hub with N workers).
import cluster from "node:cluster";
import http from "node:http";
import { Neo4jGraphQL } from "@neo4j/graphql";
import neo4j from "neo4j-driver";
import { graphql } from "graphql";

function required(name) {
    const value = process.env[name];
    if (!value) {
        console.error(`peer: environment variable ${name} is required`);
        process.exit(2);
    }
    return value;
}

const processes = Number(process.env.PEER_PROCESSES || "1");
if (cluster.isPrimary && processes > 1 && !process.argv.includes("--print-schema")) {
    for (let k = 0; k < processes; k++) cluster.fork();
    const stopAll = () => {
        for (const worker of Object.values(cluster.workers)) worker.kill("SIGTERM");
        setTimeout(() => process.exit(0), 5000).unref();
    };
    process.on("SIGTERM", stopAll);
    process.on("SIGINT", stopAll);
    cluster.on("exit", () => {
        if (Object.keys(cluster.workers).length === 0) process.exit(0);
    });
    // The primary only supervises: the server below runs in the workers.
    await new Promise(() => {});
}

const port = Number(required("PEER_PORT"));
const uri = required("NEO4J_URI");
const user = process.env.NEO4J_USER || "neo4j";
const password = required("NEO4J_PASSWORD");
const database = process.env.NEO4J_DATABASE || "neo4j";
const categories = JSON.parse(process.env.PEER_CATEGORY_LABELS || "{}");
const pool = Number(process.env.PEER_POOL_SIZE || "16");

// The USCC category table (positions 1-2 → label) as a Cypher map literal, so categoryLabel is
// computed in the query as the hub computes it in Python from the same table.
const categoryMap =
    "{" +
    Object.entries(categories)
        .map(([code, label]) => `\`${code}\`: '${String(label).replaceAll("'", "\\'")}'`)
        .join(", ") +
    "}";

// "In force today" by the Beijing date, as graph/publication.py `list_entry_in_force` says.
const TODAY = "date({timezone: 'Asia/Shanghai'})";
const onList = (type) =>
    `RETURN EXISTS { MATCH (l:ListEntry {listType: '${type}'})-[:HAS_SUBJECT]->(this) ` +
    `WHERE l.status = 'ACTIVE' AND (l.effectiveUntil IS NULL OR ${TODAY} <= l.effectiveUntil) } AS v`;

const typeDefs = /* GraphQL */ `
    type Enterprise
        @node(labels: ["Enterprise"])
        @fulltext(
            indexes: [
                { indexName: "enterprise_name_fulltext", queryName: "searchEnterprises", fields: ["name"] }
            ]
        ) {
        uscc: String!
        name: String
        status: String
        address: String
        registeredCapital: Float
        categoryLabel: String
            @cypher(statement: "RETURN ${categoryMap}[left(this.uscc, 2)] AS v", columnName: "v")
        blackListed: Boolean! @cypher(statement: "${onList("BLACK")}", columnName: "v")
        redListed: Boolean! @cypher(statement: "${onList("RED")}", columnName: "v")
        legalRepresentative: Person
            @cypher(
                statement: "MATCH (this)<-[:LEGAL_REPRESENTATIVE_OF]-(p:Person) RETURN p LIMIT 1"
                columnName: "p"
            )
        legalRepresentatives: [Person!]! @relationship(type: "LEGAL_REPRESENTATIVE_OF", direction: IN)
        records: [Record!]! @relationship(type: "HAS_SUBJECT", direction: IN)
        listEntries: [ListEntry!]! @relationship(type: "HAS_SUBJECT", direction: IN)
        sanctions: [Sanction!]! @relationship(type: "HAS_SUBJECT", direction: IN)
        associations: [Association!]!
            @relationship(type: "MEMBER_OF", direction: OUT, properties: "Membership")
    }

    type Membership @relationshipProperties {
        since: Date
        until: Date
    }

    type Person @node(labels: ["Person"]) {
        key: ID!
        name: String
        nameMasked: String
        "The distinct enterprises this person stands behind in any role, but one, by name"
        enterprises(excludeUscc: String): [Enterprise!]!
            @cypher(
                statement: """
                MATCH (this)-[:LEGAL_REPRESENTATIVE_OF|PRINCIPAL_OF|ACTUAL_CONTROLLER_OF|SHAREHOLDER_OF]->(o:Enterprise)
                WHERE $excludeUscc IS NULL OR o.uscc <> $excludeUscc
                WITH DISTINCT o ORDER BY o.name
                RETURN o
                """
                columnName: "o"
            )
    }

    type Department @node(labels: ["Department"]) {
        code: String!
        name: String
    }

    type Association @node(labels: ["Association"]) {
        code: String!
        name: String
        members: [Enterprise!]!
            @relationship(type: "MEMBER_OF", direction: IN, properties: "Membership")
    }

    type Record @node(labels: ["Record"]) {
        uid: ID!
        kind: String
        title: String
        documentNumber: String
        decisionDate: Date
        severity: String
        status: String
        category: String
        amount: Float
        issuingAuthority: String
        current: Boolean
        publishFrom: Date
        publishUntil: Date
        provider: [Department!]! @relationship(type: "PROVIDED_BY", direction: OUT)
        decidedBy: [Department!]! @relationship(type: "DECIDED_BY", direction: OUT)
    }

    type Measure @node(labels: ["Measure"]) {
        code: String!
        name: String
        business: String
    }

    type ListEntry @node(labels: ["ListEntry"]) {
        id: ID!
        listType: String
        listName: String
        "已到期 (EXPIRED) once past effectiveUntil, as the hub states it"
        status: String
            @cypher(
                statement: "RETURN CASE WHEN this.status IN ['ACTIVE', 'ANNOUNCED'] AND this.effectiveUntil < ${TODAY} THEN 'EXPIRED' ELSE this.status END AS v"
                columnName: "v"
            )
        decisionDate: Date
        sanctions: [Sanction!]! @relationship(type: "UNDER", direction: IN)
    }

    type Sanction @node(labels: ["Sanction"]) {
        id: ID!
        status: String
        from: Date
        until: Date
        measure: [Measure!]! @relationship(type: "APPLIES", direction: OUT)
    }

`;

const driver = neo4j.driver(uri, neo4j.auth.basic(user, password), {
    maxConnectionPoolSize: pool,
    disableLosslessIntegers: true,
});
const neoSchema = new Neo4jGraphQL({ typeDefs, driver });
let schema;
try {
    schema = await neoSchema.getSchema();
} catch (error) {
    console.error("peer: the typeDefs do not build a schema:", error);
    process.exit(3);
}

if (process.argv.includes("--print-schema")) {
    // Written before exiting: stdout to a pipe is asynchronous, process.exit would cut it.
    const { printSchema } = await import("graphql");
    await new Promise((resolve) => process.stdout.write(printSchema(schema) + "\n", resolve));
    await driver.close();
    process.exit(0);
}

function send(response, status, body) {
    const text = JSON.stringify(body);
    response.writeHead(status, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(text),
    });
    response.end(text);
}

const server = http.createServer((request, response) => {
    if (request.method === "GET" && request.url === "/healthz") {
        send(response, 200, { ok: true });
        return;
    }
    if (request.method !== "POST" || request.url !== "/graphql") {
        send(response, 404, { errors: [{ message: "POST /graphql" }] });
        return;
    }
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", async () => {
        let body;
        try {
            body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
        } catch {
            send(response, 400, { errors: [{ message: "the body is not JSON" }] });
            return;
        }
        try {
            const result = await graphql({
                schema,
                source: body.query,
                variableValues: body.variables,
                contextValue: { sessionConfig: { database } },
            });
            send(response, 200, result);
        } catch (error) {
            send(response, 500, { errors: [{ message: String(error) }] });
        }
    });
});

function stop() {
    server.close();
    driver.close().finally(() => process.exit(0));
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

server.listen(port, "127.0.0.1", () => {
    console.log(`peer: @neo4j/graphql listening on http://127.0.0.1:${port}/graphql (${uri})`);
});
