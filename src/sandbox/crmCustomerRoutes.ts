import type { FastifyInstance } from 'fastify';
import { crmCustomerRoutes } from './crmCustomerApi';
import type { CrmCustomerStore } from './crmCustomerStore';
import type { CrmStats } from './crmStats';
import { addRoute } from './routeSpec';

/** Registers the customer routes (accounts, contacts, demands, orders) on the CRM's /api scope. */
export function registerCustomerRoutes(api: FastifyInstance, customers: CrmCustomerStore, stats: CrmStats): void {
  const routes = crmCustomerRoutes;

  addRoute(api, routes.putAccount, ({ params, body }) => customers.put('accounts', params.id, body));
  addRoute(api, routes.putContact, ({ params, body }) => customers.put('contacts', params.id, body));
  addRoute(api, routes.putDemand, ({ params, body }) => customers.put('demands', params.id, body));
  addRoute(api, routes.putOrder, ({ params, body }) => customers.put('orders', params.id, body));

  addRoute(api, routes.demandFeed, ({ query }) => customers.listChanges('demands', query));
  addRoute(api, routes.orderFeed, ({ query }) => customers.listChanges('orders', query));

  addRoute(api, routes.readDemands, ({ body }) => ({ results: customers.readMany('demands', body.ids) }));
  addRoute(api, routes.readAccounts, ({ body }) => ({ results: customers.readMany('accounts', body.ids) }));
  addRoute(api, routes.readContacts, ({ body }) => ({ results: customers.readMany('contacts', body.ids) }));

  addRoute(api, routes.updateLinks, ({ body }) => {
    const results = customers.updateDemandLinks(body.inputs);
    stats.recordDemandLinks(results);
    return { results };
  });
}
