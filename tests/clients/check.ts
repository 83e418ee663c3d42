// A typed program against the generated TypeScript types (openapi-typescript) and openapi-fetch,
// compiled with `tsc --strict` and run against the demo by `.ci/clients`: list items are the
// single GET's type, and an availability report's `data` is typed JSON without narrowing.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type IncidentResponse = components["schemas"]["IncidentResponse"];
type AvailabilityOverview = components["schemas"]["AvailabilityOverview"];

/** Takes the one incident type, whether it came from the list or the single GET. */
function describe(incident: IncidentResponse): string {
  return `#${incident.id} ${incident.title} (${incident.status}, ${incident.impact})`;
}

/** Reads the overview's rows as JSON: no `string` in the type to narrow away. */
function offeringIds(overview: AvailabilityOverview): number[] {
  return overview.offerings.map((row) => row.offering_id);
}

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`${what}: no data`);
  return value;
}

const baseUrl = process.env.SLR_URL ?? "";
const token = process.env.SLR_TOKEN_ALICE ?? "";
const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });

const me = required((await client.GET("/api/v1/me")).data, "/me");
console.log(`typescript: ${me.contact.email} of ${me.account.name}`);

const offerings = required(
  (await client.GET("/api/v1/offerings", { params: { query: { limit: 200 } } })).data,
  "/offerings",
);
if (offerings.items.length === 0) throw new Error("the partner sees offerings");

const page = required(
  (await client.GET("/api/v1/incidents", { params: { query: { active: true } } })).data,
  "/incidents",
);
const listed: IncidentResponse | undefined = page.items[0];
if (listed === undefined) throw new Error("the demo has active incidents the partner sees");
const single = required(
  (await client.GET("/api/v1/incidents/{id}", { params: { path: { id: listed.id } } })).data,
  "/incidents/{id}",
);
if (describe(listed) !== describe(single)) throw new Error("list item and single GET differ");
console.log(`typescript: ${page.items.length} active incidents, first ${describe(listed)}`);

const overview = required((await client.GET("/api/v1/availability")).data, "/availability");
const visible = new Set(offerings.items.map((offering) => offering.id));
if (!offeringIds(overview).every((id) => visible.has(id))) throw new Error("foreign offering");
console.log(`typescript: availability of ${overview.offerings.length} offerings`);

const csv = await client.GET("/api/v1/availability.csv", { parseAs: "text" });
if (!required(csv.data, "/availability.csv").startsWith("offering_id")) {
  throw new Error("the CSV form answers CSV");
}
