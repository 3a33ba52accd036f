/// The coordinator API's OpenAPI 3.1 document, served at `GET /openapi.yaml`. A test checks that
/// its paths and methods are exactly the router's.
enum CoordinatorOpenAPI {
    static let document = #"""
openapi: 3.1.0
info:
  title: ServiceHall coordinator — back-office routing, parallel approval and the case clock
  version: 1.0.0
  description: |
    Departments work on their share of accepted cases: list their tasks, claim, give an opinion
    (approve / deny with reasons / needs-supplement with the list), and their chief representative
    (or the substitute on a filed notice, Art 27) countersigns. When every opinion stands the case
    is decided and each decision goes to the department's seal; the seal time is the completion
    time. The clock: suspensions for the Art 34 categories the item excludes, resume, one extension
    of at most 10 working days (ALL Art 42), each an entry in the case's due-date ledger.
    A department acts only on its own tasks (the token's `department` claim); refusals are RFC 9457
    problem+json with `type` …/problems/coordinator/<reason>, recorded and published as
    `coordinator.command.rejected`. The same commands exist on Kafka (topic
    hall.coordinator.department-commands, see the AsyncAPI document).
    Authentication: `Authorization: Bearer <JWT>` (HS256) with `roles` and `department` claims.
servers:
  - url: http://127.0.0.1:8082
security: []
paths:
  /health/live:
    get:
      summary: Liveness
      responses:
        '200': {description: The process is up}
  /health/ready:
    get:
      summary: Readiness (database, broker, start-up)
      responses:
        '200': {description: Ready}
        '503': {description: Not ready}
  /metrics:
    get:
      summary: Prometheus metrics (HTTP, outbox, consumer lag, timers fired)
      responses:
        '200': {description: Metrics in the Prometheus text format}
  /openapi.yaml:
    get:
      summary: This document
      responses:
        '200': {description: OpenAPI 3.1 YAML}
  /v1/tasks:
    get:
      summary: Tasks of the caller's department (centre-admin — all, or `departmentId`), green-channel cases first (`priority`, Art 40), then the most urgent
      security: [{bearer: []}]
      parameters:
        - {name: state, in: query, schema: {enum: [open, opinion-given, countersigned, closed]}}
        - {name: departmentId, in: query, schema: {type: string}}
      responses:
        '200': {description: Tasks, content: {application/json: {schema: {type: array, items: {$ref: '#/components/schemas/Task'}}}}}
        '403': {$ref: '#/components/responses/Problem'}
  /v1/tasks/{taskId}:
    get:
      summary: One task of the caller's department
      security: [{bearer: []}]
      parameters: [{$ref: '#/components/parameters/taskId'}]
      responses:
        '200': {description: The task, content: {application/json: {schema: {$ref: '#/components/schemas/Task'}}}}
        '403': {$ref: '#/components/responses/Problem'}
        '404': {$ref: '#/components/responses/Problem'}
  /v1/tasks/{taskId}/claim:
    post:
      summary: Take the task (department-officer, chief-representative)
      security: [{bearer: []}]
      parameters: [{$ref: '#/components/parameters/taskId'}]
      responses:
        '200': {description: Claimed, content: {application/json: {schema: {$ref: '#/components/schemas/Task'}}}}
        '403': {$ref: '#/components/responses/Problem'}
        '404': {$ref: '#/components/responses/Problem'}
        '409': {$ref: '#/components/responses/Problem'}
  /v1/tasks/{taskId}/opinion:
    post:
      summary: Give the department's opinion (a chief representative's opinion is countersigned at once)
      security: [{bearer: []}]
      parameters: [{$ref: '#/components/parameters/taskId'}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [opinion]
              properties:
                opinion: {enum: [approve, deny, needs-supplement]}
                reasons: {type: array, items: {type: string, minLength: 1}, description: Required for deny}
                supplements:
                  type: array
                  description: Required for needs-supplement
                  items: {type: object, required: [material, needed], properties: {material: {type: string}, needed: {type: string}}}
      responses:
        '201': {description: Recorded, content: {application/json: {schema: {$ref: '#/components/schemas/Task'}}}}
        '400': {$ref: '#/components/responses/Problem'}
        '403': {$ref: '#/components/responses/Problem'}
        '404': {$ref: '#/components/responses/Problem'}
        '409': {$ref: '#/components/responses/Problem'}
  /v1/tasks/{taskId}/countersign:
    post:
      summary: Countersign the opinion (the department's chief representative or filed substitute)
      security: [{bearer: []}]
      parameters: [{$ref: '#/components/parameters/taskId'}]
      responses:
        '200': {description: Countersigned, content: {application/json: {schema: {$ref: '#/components/schemas/Task'}}}}
        '403': {$ref: '#/components/responses/Problem'}
        '404': {$ref: '#/components/responses/Problem'}
        '409': {$ref: '#/components/responses/Problem'}
  /v1/cases/{caseId}:
    get:
      summary: A case with its tasks, due-date ledger, decisions, joint reviews and alerts (its departments, centre-admin)
      security: [{bearer: []}]
      parameters: [{$ref: '#/components/parameters/caseId'}]
      responses:
        '200': {description: The case, content: {application/json: {schema: {$ref: '#/components/schemas/Case'}}}}
        '403': {$ref: '#/components/responses/Problem'}
        '404': {$ref: '#/components/responses/Problem'}
  /v1/cases/{caseId}/suspensions:
    post:
      summary: Stop the clock for an Art 34 category the item excludes, on a written notice to the applicant
      security: [{bearer: []}]
      parameters: [{$ref: '#/components/parameters/caseId'}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [category, reason, noticeReference]
              properties:
                category: {enum: [hearing, tender, auction, inspection, testing, quarantine, appraisal, expert-review]}
                reason: {type: string, minLength: 1}
                noticeReference: {type: string, minLength: 1}
      responses:
        '201': {description: Suspended, content: {application/json: {schema: {$ref: '#/components/schemas/Case'}}}}
        '400': {$ref: '#/components/responses/Problem'}
        '403': {$ref: '#/components/responses/Problem'}
        '409': {description: 'Already suspended (clock-state) or decided', content: {application/problem+json: {schema: {$ref: '#/components/schemas/Problem'}}}}
        '422': {description: The item does not exclude this category, content: {application/problem+json: {schema: {$ref: '#/components/schemas/Problem'}}}}
  /v1/cases/{caseId}/resume:
    post:
      summary: Restart the clock; the due date moves by the working days it stood still
      security: [{bearer: []}]
      parameters: [{$ref: '#/components/parameters/caseId'}]
      requestBody:
        required: true
        content: {application/json: {schema: {type: object, required: [reason], properties: {reason: {type: string, minLength: 1}}}}}
      responses:
        '200': {description: Resumed, content: {application/json: {schema: {$ref: '#/components/schemas/Case'}}}}
        '403': {$ref: '#/components/responses/Problem'}
        '409': {description: Not suspended (clock-state), content: {application/problem+json: {schema: {$ref: '#/components/schemas/Problem'}}}}
  /v1/cases/{caseId}/extensions:
    post:
      summary: Extend the due date once by at most 10 working days (lead department; approved by the department head)
      security: [{bearer: []}]
      parameters: [{$ref: '#/components/parameters/caseId'}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [workingDays, reason, approvedBy]
              properties:
                workingDays: {type: integer, minimum: 1, maximum: 10}
                reason: {type: string, minLength: 1}
                approvedBy: {type: string, minLength: 1}
      responses:
        '201': {description: Extended, content: {application/json: {schema: {$ref: '#/components/schemas/Case'}}}}
        '403': {$ref: '#/components/responses/Problem'}
        '422': {description: Beyond ALL Art 42 (extension-beyond-law), content: {application/problem+json: {schema: {$ref: '#/components/schemas/Problem'}}}}
  /v1/cases/{caseId}/reviews:
    post:
      summary: Convene a joint review meeting (会审) — the lead department's chief representative
      security: [{bearer: []}]
      parameters: [{$ref: '#/components/parameters/caseId'}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [meetingAt, place, departmentIds]
              properties:
                meetingAt: {type: string, format: date-time}
                place: {type: string, minLength: 1}
                departmentIds: {type: array, items: {type: string}, minItems: 1}
                centreAttends: {type: boolean}
      responses:
        '201': {description: Convened, content: {application/json: {schema: {type: object, properties: {reviewId: {type: string, format: uuid}}}}}}
        '403': {$ref: '#/components/responses/Problem'}
  /v1/reviews/{reviewId}/minutes:
    post:
      summary: Record the minutes of a joint review with each department's position (once)
      security: [{bearer: []}]
      parameters: [{name: reviewId, in: path, required: true, schema: {type: string, format: uuid}}]
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [positions, summary]
              properties:
                summary: {type: string, minLength: 1}
                positions:
                  type: array
                  minItems: 1
                  items:
                    type: object
                    required: [departmentId, position, note]
                    properties:
                      departmentId: {type: string}
                      position: {enum: [approve, deny, needs-supplement]}
                      note: {type: string}
      responses:
        '204': {description: Recorded}
        '403': {$ref: '#/components/responses/Problem'}
        '409': {$ref: '#/components/responses/Problem'}
  /v1/cases/{caseId}/decisions/reseal:
    post:
      summary: Ask again to seal the caller's department's decision after a seal refusal (chief representative)
      security: [{bearer: []}]
      parameters: [{$ref: '#/components/parameters/caseId'}]
      responses:
        '202': {description: Sent to the seal service}
        '403': {$ref: '#/components/responses/Problem'}
        '404': {$ref: '#/components/responses/Problem'}
  /v1/alerts:
    get:
      summary: Warnings and escalations concerning the caller's department (centre-admin — all)
      security: [{bearer: []}]
      parameters: [{name: departmentId, in: query, schema: {type: string}}]
      responses:
        '200': {description: Alerts, latest first}
  /v1/rejections:
    get:
      summary: Commands of the caller's department that were refused (centre-admin — all)
      security: [{bearer: []}]
      parameters: [{name: departmentId, in: query, schema: {type: string}}]
      responses:
        '200': {description: Refusals, latest first}
  /v1/public/cases/{receiptCode}:
    get:
      summary: The applicant's view of a case — status, due date and every reason it moved (no login)
      parameters:
        - {name: receiptCode, in: path, required: true, schema: {type: string}}
        - {name: noticeNumber, in: query, required: true, schema: {type: string}, description: The acceptance notice number}
      responses:
        '200': {description: The case}
        '400': {$ref: '#/components/responses/Problem'}
        '404': {$ref: '#/components/responses/Problem'}
  /v1/public/bundles/{bundleId}:
    get:
      summary: One status for a "one thing, one go" bundle, with each case and department (no login)
      parameters:
        - {name: bundleId, in: path, required: true, schema: {type: string}}
        - {name: receiptCode, in: query, required: true, schema: {type: string}}
        - {name: noticeNumber, in: query, required: true, schema: {type: string}}
      responses:
        '200': {description: The bundle}
        '404': {$ref: '#/components/responses/Problem'}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer, bearerFormat: JWT}
  parameters:
    taskId: {name: taskId, in: path, required: true, schema: {type: string, format: uuid}}
    caseId: {name: caseId, in: path, required: true, schema: {type: string}}
  responses:
    Problem:
      description: RFC 9457 problem; `field` names the offending field when there is one
      content: {application/problem+json: {schema: {$ref: '#/components/schemas/Problem'}}}
  schemas:
    Problem:
      type: object
      properties:
        type: {type: string}
        title: {type: string}
        status: {type: integer}
        detail: {type: string}
        field: {type: string}
        requestId: {type: string}
    Task:
      type: object
      properties:
        taskId: {type: string}
        caseId: {type: string}
        receiptCode: {type: string}
        departmentId: {type: string}
        role: {enum: [lead, participant]}
        state: {enum: [open, opinion-given, countersigned, closed]}
        round: {type: integer}
        subDeadline: {type: string, format: date}
        caseDueDate: {type: string, format: date}
        opinion: {enum: [approve, deny, needs-supplement, null]}
        countersignedBy: {type: [string, 'null']}
        priority: {type: boolean, description: 'A green-channel case (Art 40): listed before other tasks'}
    Case:
      type: object
      properties:
        caseId: {type: string}
        state: {enum: [in-progress, decided, completed]}
        dueDate: {type: string, format: date}
        clockSuspended: {type: boolean}
        ledger: {type: array, items: {type: object}}
        tasks: {type: array, items: {$ref: '#/components/schemas/Task'}}
        decisions: {type: array, items: {type: object}}
        onTime: {type: [boolean, 'null']}
"""#
}
