// The workflow bundle's entry point: every workflow type the worker registers.
export { demandMapping } from './demandMapping';
export { demandStatus } from './demandStatus';
export { productSync } from './productSync';
export { productChangeStream } from './productChangeStream';
