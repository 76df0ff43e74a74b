import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { whenUnauthorized } from './api'
import { restore } from './session'
import { homeOf } from './market'
import Shell from './layouts/Shell.vue'

const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { public: true } },
  {
    path: '/shared/:token',
    name: 'shared-dashboard',
    component: () => import('./views/SharedDashboardView.vue'),
    meta: { public: true },
  },
  {
    path: '/market/register',
    name: 'market-register',
    component: () => import('./views/MarketRegisterView.vue'),
    meta: { public: true },
  },
  // The public resolution page of identifiers (where their QR codes point); the suffix
  // may hold `/`.
  {
    path: '/r/:prefix/:suffix(.*)',
    name: 'resolve',
    component: () => import('./views/ResolveView.vue'),
    meta: { public: true },
  },
  {
    path: '/',
    component: Shell,
    children: [
      { path: '', name: 'overview', component: () => import('./views/OverviewView.vue') },
      { path: 'products', name: 'products', component: () => import('./views/ProductsView.vue') },
      { path: 'products/:id', name: 'product', component: () => import('./views/ProductView.vue') },
      { path: 'devices', name: 'devices', component: () => import('./views/DevicesView.vue') },
      { path: 'devices/:id', name: 'device', component: () => import('./views/DeviceView.vue') },
      { path: 'groups', name: 'groups', component: () => import('./views/GroupsView.vue') },
      { path: 'gateways', name: 'gateways', component: () => import('./views/GatewaysView.vue') },
      { path: 'alarms', name: 'alarms', component: () => import('./views/AlarmsView.vue') },
      { path: 'rules', name: 'rules', component: () => import('./views/RulesView.vue') },
      { path: 'rules/flow/new', name: 'rule-flow-new', component: () => import('./views/RuleFlowView.vue') },
      { path: 'rules/:id/flow', name: 'rule-flow', component: () => import('./views/RuleFlowView.vue') },
      { path: 'rules/:id', name: 'rule', component: () => import('./views/RuleEditView.vue') },
      { path: 'dashboards', name: 'dashboards', component: () => import('./views/DashboardsView.vue') },
      { path: 'dashboards/:id', name: 'dashboard', component: () => import('./views/DashboardView.vue') },
      { path: 'models', name: 'models', component: () => import('./views/ModelsView.vue') },
      { path: 'model-jobs', name: 'model-jobs', component: () => import('./views/ModelJobsView.vue') },
      { path: 'apps', name: 'apps', component: () => import('./views/AppsView.vue') },
      { path: 'market', name: 'market', component: () => import('./views/MarketView.vue') },
      { path: 'market/apps/:appId', name: 'market-app', component: () => import('./views/MarketAppView.vue') },
      { path: 'market/developer', name: 'market-developer', component: () => import('./views/MarketDeveloperView.vue') },
      { path: 'market/review', name: 'market-review', component: () => import('./views/MarketReviewView.vue') },
      { path: 'market/orders', name: 'market-orders', component: () => import('./views/MarketOrdersView.vue') },
      { path: 'market/finance', name: 'market-finance', component: () => import('./views/MarketFinanceView.vue') },
      { path: 'identifiers', name: 'identifiers', component: () => import('./views/IdentifiersView.vue') },
      { path: 'identifiers/trace/:handle', name: 'identifier-trace', component: () => import('./views/IdentifierTraceView.vue') },
      { path: 'usage', name: 'usage', component: () => import('./views/UsageView.vue') },
      { path: 'users', name: 'users', component: () => import('./views/UsersView.vue') },
      { path: 'roles', name: 'roles', component: () => import('./views/RolesView.vue') },
      { path: 'api-keys', name: 'api-keys', component: () => import('./views/ApiKeysView.vue') },
      { path: 'tenants', name: 'tenants', component: () => import('./views/TenantsView.vue') },
      { path: 'enterprise', name: 'enterprise', component: () => import('./views/EnterpriseView.vue') },
      { path: 'evaluation', name: 'evaluation', component: () => import('./views/EvaluationView.vue') },
      { path: 'health', name: 'health', component: () => import('./views/HealthView.vue') },
      { path: 'audit', name: 'audit', component: () => import('./views/AuditView.vue') },
      { path: 'retention', name: 'retention', component: () => import('./views/RetentionView.vue') },
      { path: ':rest(.*)*', name: 'not-found', component: () => import('./views/NotFoundView.vue') },
    ],
  },
]

export const router = createRouter({ history: createWebHistory(), routes })

router.beforeEach(async (to) => {
  if (to.meta.public) return true
  if (await restore()) {
    // Developers and reviewers have no tenant: they start in the marketplace.
    const home = to.name === 'overview' ? homeOf() : null
    return home ? { name: home } : true
  }
  return { name: 'login', query: to.fullPath === '/' ? {} : { next: to.fullPath } }
})

whenUnauthorized(() => {
  const current = router.currentRoute.value
  if (!current.meta.public) {
    void router.push({ name: 'login', query: { next: current.fullPath } })
  }
})
