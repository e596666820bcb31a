import type { FastifyInstance } from 'fastify';
import { HttpError, badRequest, notFound } from './httpErrors';
import { demandSignalRoutes } from './pmsDemandSignalApi';
import type { PmsDemandSignalStore } from './pmsDemandSignalStore';
import { requirementRoutes } from './pmsRequirementApi';
import type { PmsRequirementStore } from './pmsRequirementStore';
import type { PmsStore } from './pmsStore';
import { addRoute } from './routeSpec';

const unknownRequirement = (id: string) =>
  notFound(`Requirement '${id}' does not exist: find requirements with GET /api/requirements (ids are assigned by the PMS)`);

/**
 * Registers the routes demand mapping uses on the PMS's /api scope: requirements with their
 * demand links, and demand signals. Both refer to products, which they check against `products`.
 */
export function registerDemandRoutes(
  api: FastifyInstance,
  stores: { products: PmsStore; requirements: PmsRequirementStore; signals: PmsDemandSignalStore },
): void {
  const { products, requirements, signals } = stores;

  addRoute(api, requirementRoutes.create, ({ body }, _request, reply) => {
    const product = products.get(body.productId);
    if (product === undefined || product.deleted) {
      const state = product === undefined ? 'no product with that id exists' : 'that product is deleted';
      throw badRequest(
        `Invalid body field 'productId': '${body.productId}' is not a live PMS product (${state}); attach requirements to an existing product`,
        [{ field: 'productId', message: `not a live PMS product (${state})` }],
      );
    }
    const { requirement, created } = requirements.create(body);
    if (!created) api.log.info({ id: requirement.id }, 'requirement create repeated with a known idempotencyKey; returned the first');
    return reply.code(created ? 201 : 200).send(requirement);
  });

  addRoute(api, requirementRoutes.list, ({ query }) => {
    const { productId, demandId, ...position } = query;
    return requirements.listChanges(position, { productId, demandId });
  });

  addRoute(api, requirementRoutes.get, ({ params }) => {
    const requirement = requirements.get(params.id);
    if (requirement === undefined) throw unknownRequirement(params.id);
    return requirement;
  });

  addRoute(api, requirementRoutes.replaceDemands, ({ params, body }) => {
    // Optimistic concurrency: a product manager may have moved links since the client read them.
    const current = requirements.get(params.id);
    if (current === undefined) throw unknownRequirement(params.id);
    if (body.expectedUpdatedAt !== undefined && body.expectedUpdatedAt !== current.updatedAt) {
      throw new HttpError(
        409,
        'CONFLICT',
        `Requirement '${params.id}' changed at ${current.updatedAt}, after the ${body.expectedUpdatedAt} you read; read it again and resend. Nothing was written.`,
      );
    }
    const requirement = requirements.replaceDemands(params.id, body.demands, body.demandScore);
    if (requirement === undefined) throw unknownRequirement(params.id);
    return requirement;
  });

  addRoute(api, requirementRoutes.decide, ({ params, body }) => {
    const outcome = requirements.decide(params.id, params.demandId, body.decision);
    if (outcome === 'no-requirement') throw unknownRequirement(params.id);
    if (outcome === 'no-link')
      throw notFound(
        `Demand '${params.demandId}' is not linked to requirement '${params.id}': GET /api/requirements/${params.id} lists its demands`,
      );
    return outcome;
  });

  addRoute(api, requirementRoutes.patch, ({ params, body }) => {
    const requirement = requirements.patch(params.id, body);
    if (requirement === undefined) throw unknownRequirement(params.id);
    return requirement;
  });

  addRoute(api, demandSignalRoutes.upsert, ({ body }) => {
    // Deleted products count as known: an order placed before a product was removed is history.
    const known = new Set(products.getMany(body.inputs.map((input) => input.productId)).map((product) => product.id));
    const problems = body.inputs.flatMap(({ productId }, index) =>
      known.has(productId) ? [] : [{ index, productId, message: `no product '${productId}' exists in the PMS` }],
    );
    const [first] = problems;
    if (first !== undefined) {
      const more = problems.length > 1 ? ` (and ${problems.length - 1} more, see details)` : '';
      throw badRequest(
        `Batch refused: input ${first.index}: ${first.message}${more}. Nothing was written: create the product or leave its signals out, then resend.`,
        problems,
      );
    }
    return { results: signals.upsert(body.inputs, body.completeOrders) };
  });

  addRoute(api, demandSignalRoutes.list, ({ query }) => ({ data: signals.list(query) }));
}
