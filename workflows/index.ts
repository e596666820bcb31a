// The workflow bundle's entry point: every workflow type the worker registers.
export { productSync } from './productSync';
