/**
 * Running a workflow under the id that makes it the only one of its kind for a dataset (the
 * one-writer id, verify's id): a run started under another id (a Schedule, `temporal workflow start`)
 * executes as a child under that id and returns the child's result.
 */
import { ChildWorkflowCancellationType, ChildWorkflowFailure, ParentClosePolicy, executeChild, type Workflow } from "@temporalio/workflow";
import { WorkflowExecutionAlreadyStartedError } from "@temporalio/common";

/**
 * Runs `workflow(input)` as a child with id `workflowId` and returns its result; cancelling this run
 * cancels the child and waits for its compensations. When a run already holds the id, `busy`
 * decides (throw a typed failure, or answer another way). A child's failure is rethrown as its cause,
 * so callers see the same error as from the run itself.
 */
export async function delegateTo<I, R>(workflow: (input: I) => Promise<R>, workflowId: string, input: I, busy: () => Promise<NoInfer<R>>): Promise<R> {
  try {
    return await executeChild(workflow as unknown as Workflow, {
      workflowId,
      args: [input],
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      cancellationType: ChildWorkflowCancellationType.WAIT_CANCELLATION_COMPLETED,
    }) as R;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return await busy();
    if (err instanceof ChildWorkflowFailure && err.cause) throw err.cause;
    throw err;
  }
}
