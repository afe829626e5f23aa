import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileSchema } from "./schema-validator.ts";

const product = {
  type: "object",
  properties: {
    products: {
      type: "array",
      items: {
        type: "object",
        properties: { name: { type: "string" }, price: { type: "number" } },
        required: ["name", "price"],
      },
    },
  },
  required: ["products"],
};

describe("compileSchema", () => {
  it("passes a value that fits and says where one does not", () => {
    const check = compileSchema(product);
    assert.equal(check({ products: [{ name: "Kettle", price: 24 }] }), undefined);
    assert.equal(
      check({ products: [{ name: 3, price: 24 }] }),
      "json/products/0/name must be string",
    );
    assert.equal(check({}), "json must have required property 'products'");
  });

  it("reports at most three problems", () => {
    const check = compileSchema(product);
    const bad = { products: [1, 2, 3, 4, 5].map(() => ({ name: 1, price: "x" })) };
    assert.equal(check(bad)?.split(", ").length, 3);
  });

  it("reads 2020-12 (zod's toJSONSchema), 2019-09 and draft-07; other drafts as draft-07", () => {
    const base = { type: "object", properties: { a: { $ref: "#/$defs/text" } }, required: ["a"] };
    for (const $schema of [
      "https://json-schema.org/draft/2020-12/schema",
      "http://json-schema.org/draft-07/schema#",
      "https://json-schema.org/draft/2019-09/schema",
      "http://json-schema.org/draft-04/schema#",
    ]) {
      const check = compileSchema({ $schema, ...base, $defs: { text: { type: "string" } } });
      assert.equal(check({ a: "x" }), undefined, $schema);
      assert.equal(check({ a: 1 }), "json/a must be string", $schema);
    }
  });

  it("lets unknown keywords and formats through", () => {
    const check = compileSchema({ type: "string", format: "email", "x-note": 1 });
    assert.equal(check("not an email"), undefined);
  });

  it("says what is wrong with a schema that does not compile", () => {
    assert.throws(
      () => compileSchema({ type: "object", properties: { a: { type: "strin" } } }),
      /^Error: schema\/properties\/a\/type must be equal to one of the allowed values/,
    );
    assert.throws(
      () => compileSchema({ properties: { a: { $ref: "#/$defs/missing" } } }),
      /can't resolve reference #\/\$defs\/missing/,
    );
    assert.throws(() => compileSchema("object"), /the schema must be a JSON object/);
  });

  it("compiles the same $id twice: nothing is kept between schemas", () => {
    const schema = { $id: "https://example.com/item", type: "string" };
    assert.equal(compileSchema(schema)("x"), undefined);
    assert.equal(compileSchema({ ...schema, type: "number" })(1), undefined);
  });
});
