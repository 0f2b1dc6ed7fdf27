import { KontextError } from './KontextError.js';

/** A turn was refused before submitting because it would take the session over its budget. */
export class BudgetExceededError extends KontextError {
  constructor(readonly budgetMicros: number, readonly spentMicros: number, readonly turnCostMicros: number) {
    super(
      'BUDGET_EXCEEDED',
      `this turn costs $${(turnCostMicros / 1e6).toFixed(4)}; with $${(spentMicros / 1e6).toFixed(4)} spent it would exceed the session budget of $${(budgetMicros / 1e6).toFixed(4)}`,
      { details: { budgetMicros, spentMicros, turnCostMicros } },
    );
  }
}
