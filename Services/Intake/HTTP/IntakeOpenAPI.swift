/// The intake API's OpenAPI 3.1 document, served at `GET /openapi.yaml`. A test checks that its
/// paths and methods are exactly the router's.
enum IntakeOpenAPI {
    static let document = #"""
openapi: 3.1.0
info:
  title: ServiceHall intake — the front-desk comprehensive window
  version: 1.0.0
  description: |
    Catalogue of service items and their guides (public), the directory of departments, windows
    and staff (centre administrators), applications at the window (clerks): refused, one-time
    correction notice, or accepted with a due date in working days (Asia/Shanghai official
    calendar). Errors are RFC 9457 problem+json naming the offending field. Authentication:
    `Authorization: Bearer <JWT>` (HS256) with `roles`, `department` and `window` claims.
servers:
  - url: http://127.0.0.1:8081
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
        '503': {description: Not ready; `checks` says which dependency is unreachable}
  /metrics:
    get:
      summary: Prometheus metrics
      responses:
        '200': {description: Text exposition format 0.0.4}
  /openapi.yaml:
    get:
      summary: This document
      responses:
        '200': {description: OpenAPI 3.1 YAML}
  /v1/items:
    get:
      summary: Service items in force today (public)
      parameters:
        - {name: q, in: query, required: false, schema: {type: string}, description: Part of the code or name}
      responses:
        '200':
          description: Items
          content: {application/json: {schema: {$ref: '#/components/schemas/ItemList'}}}
    post:
      summary: Publish a new item or a new version of one (centre admin)
      security: [{bearer: []}]
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: '#/components/schemas/ItemSubmission'}}}
      responses:
        '201':
          description: The new version
          content: {application/json: {schema: {$ref: '#/components/schemas/ItemVersion'}}}
        '400': {$ref: '#/components/responses/Problem'}
        '401': {$ref: '#/components/responses/Problem'}
        '403': {$ref: '#/components/responses/Problem'}
  /v1/items/{code}:
    get:
      summary: The guide of an item (public); the version in force today or on a date
      parameters:
        - {name: code, in: path, required: true, schema: {type: string}}
        - {name: on, in: query, required: false, schema: {type: string, format: date}}
        - {name: If-None-Match, in: header, required: false, schema: {type: string}, description: The ETag of a guide already held}
      responses:
        '200':
          description: The guide; its ETag changes only with the version
          headers: {ETag: {schema: {type: string}}}
          content: {application/json: {schema: {$ref: '#/components/schemas/ItemVersion'}}}
        '304': {description: The guide held (If-None-Match) is still the one in force, headers: {ETag: {schema: {type: string}}}}
        '404': {$ref: '#/components/responses/Problem'}
  /v1/items/{code}/form:
    get:
      summary: Download the application form template (public)
      parameters:
        - {name: code, in: path, required: true, schema: {type: string}}
      responses:
        '200': {description: The form, content: {text/plain: {schema: {type: string}}}}
        '404': {$ref: '#/components/responses/Problem'}
  /v1/calendar/due-date:
    get:
      summary: The due date of an item if accepted at a given time (public; same code as acceptance)
      parameters:
        - {name: itemCode, in: query, required: true, schema: {type: string}}
        - {name: acceptedAt, in: query, required: false, schema: {type: string, format: date-time}, description: Default now}
      responses:
        '200':
          description: Due date (hall date); provisional when it reaches a year whose official calendar is unknown
          content: {application/json: {schema: {$ref: '#/components/schemas/DueDateAnswer'}}}
        '400': {$ref: '#/components/responses/Problem'}
        '404': {$ref: '#/components/responses/Problem'}
  /v1/calendar/working-days:
    get:
      summary: Working days after `from` up to and including `to` (public)
      parameters:
        - {name: from, in: query, required: true, schema: {type: string, format: date}}
        - {name: to, in: query, required: true, schema: {type: string, format: date}}
      responses:
        '200':
          description: Count
          content: {application/json: {schema: {$ref: '#/components/schemas/WorkingDaysAnswer'}}}
        '400': {$ref: '#/components/responses/Problem'}
  /v1/cases/{receiptCode}:
    get:
      summary: Follow a case (public; receipt code and the applicant's identity number)
      parameters:
        - {name: receiptCode, in: path, required: true, schema: {type: string}}
        - {name: idNumber, in: query, required: true, schema: {type: string}}
      responses:
        '200':
          description: Status, due date, what is awaited
          content: {application/json: {schema: {$ref: '#/components/schemas/CaseStatus'}}}
        '404': {$ref: '#/components/responses/Problem'}
  /v1/bundles/{bundleId}:
    get:
      summary: Follow a "one thing, one go" bundle (public; bundle id and the applicant's identity number)
      parameters:
        - {name: bundleId, in: path, required: true, schema: {type: string}}
        - {name: idNumber, in: query, required: true, schema: {type: string}}
      responses:
        '200':
          description: One status for the bundle, each case with its departments
          content: {application/json: {schema: {$ref: '#/components/schemas/BundleStatus'}}}
        '404': {$ref: '#/components/responses/Problem'}
  /v1/departments:
    post:
      summary: Create or update a department, its chief representative and substitute (centre admin)
      security: [{bearer: []}]
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: '#/components/schemas/DepartmentInput'}}}
      responses:
        '200': {description: Saved; the directory event's data}
        '400': {$ref: '#/components/responses/Problem'}
        '403': {$ref: '#/components/responses/Problem'}
  /v1/windows:
    post:
      summary: Create or update a hall window (centre admin)
      security: [{bearer: []}]
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: '#/components/schemas/WindowInput'}}}
      responses:
        '200': {description: Saved}
        '400': {$ref: '#/components/responses/Problem'}
        '403': {$ref: '#/components/responses/Problem'}
  /v1/staff:
    post:
      summary: Create or update a staff member; a window change needs its rotation filing (centre admin)
      security: [{bearer: []}]
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: '#/components/schemas/StaffInput'}}}
      responses:
        '200': {description: Saved}
        '400': {$ref: '#/components/responses/Problem'}
        '403': {$ref: '#/components/responses/Problem'}
  /v1/applications:
    post:
      summary: Submit an application at the window (clerk); exactly one outcome, at once
      security: [{bearer: []}]
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: '#/components/schemas/ApplicationSubmission'}}}
      responses:
        '201':
          description: Accepted. A repeated idempotency key of an accepted application gets this same answer again, with 201.
          content: {application/json: {schema: {$ref: '#/components/schemas/ApplicationResponse'}}}
        '200':
          description: Refused, or a one-time correction notice (a repeated idempotency key gets the same answer again, with 200)
          content: {application/json: {schema: {$ref: '#/components/schemas/ApplicationResponse'}}}
        '400': {$ref: '#/components/responses/Problem'}
        '403': {$ref: '#/components/responses/Problem'}
        '413': {$ref: '#/components/responses/Problem'}
  /v1/bundles:
    post:
      summary: Submit several applications of one applicant together ("one thing, one go", Art 4(5)) (clerk); accepted together or not at all
      description: |
        A refusal of any application refuses the bundle (the answer says which application and
        why). Otherwise, if any application needs a correction, one notice lists every correction
        of every application and nothing is accepted; the applicant returns with each receipt code
        (`POST /v1/applications/{receiptCode}/resubmission`) and the applications are accepted
        together once the last correction is in. Otherwise every application is accepted in one
        transaction, each its own case, notice number and due date, all with the bundle's id.
        The same idempotency key gives the same answer and no second bundle.
      security: [{bearer: []}]
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: '#/components/schemas/BundleSubmission'}}}
      responses:
        '201':
          description: Every application accepted (also the answer, again, to a repeated idempotency key of an accepted bundle)
          content: {application/json: {schema: {$ref: '#/components/schemas/BundleResponse'}}}
        '200':
          description: Refused, or one correction notice for the whole bundle (a repeated idempotency key gets the same answer again, with 200)
          content: {application/json: {schema: {$ref: '#/components/schemas/BundleResponse'}}}
        '400': {$ref: '#/components/responses/Problem'}
        '403': {$ref: '#/components/responses/Problem'}
        '413': {$ref: '#/components/responses/Problem'}
  /v1/applications/{receiptCode}:
    get:
      summary: A case as the clerk sees it (clerk); the same view as case tracking, without the identity number
      security: [{bearer: []}]
      parameters:
        - {name: receiptCode, in: path, required: true, schema: {type: string}}
      responses:
        '200':
          description: Status, due date, what is awaited, supplements asked for, departments, completion
          content: {application/json: {schema: {$ref: '#/components/schemas/CaseStatus'}}}
        '404': {$ref: '#/components/responses/Problem'}
  /v1/applications/{receiptCode}/supplements:
    post:
      summary: Record what the applicant brought for the supplements a department asked for (clerk)
      description: |
        Each material must be one asked for (`supplements[].material` of the case). Once nothing is
        awaited any more, `intake.application.supplemented` tells the coordinator, which resumes
        the case clock.
      security: [{bearer: []}]
      parameters:
        - {name: receiptCode, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: '#/components/schemas/SupplementDelivery'}}}
      responses:
        '200':
          description: Recorded; the case with what is still awaited
          content: {application/json: {schema: {$ref: '#/components/schemas/CaseStatus'}}}
        '400': {$ref: '#/components/responses/Problem'}
        '404': {$ref: '#/components/responses/Problem'}
        '409': {description: 'The case awaits no supplement (none was asked for, or all was brought)', content: {application/problem+json: {schema: {$ref: '#/components/schemas/Problem'}}}}
  /v1/applications/{receiptCode}/decision:
    post:
      summary: Decide an immediate item on the spot (clerk authorised for the item, Art 13); the decision goes to the seal
      security: [{bearer: []}]
      parameters:
        - {name: receiptCode, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [decision]
              properties:
                decision: {enum: [approve, deny]}
                reasons: {type: string, description: Required for a denial}
      responses:
        '200':
          description: Recorded; the decision document was sent to the department's seal
          content: {application/json: {schema: {$ref: '#/components/schemas/ApplicationResponse'}}}
        '400': {$ref: '#/components/responses/Problem'}
        '403': {$ref: '#/components/responses/Problem'}
        '409': {$ref: '#/components/responses/Problem'}
  /v1/applications/{receiptCode}/handover:
    post:
      summary: Hand the sealed result to the applicant, or to the case's agent, at the window (clerk)
      description: A case of a "one thing, one go" bundle is handed out with its bundle (`POST /v1/bundles/{bundleId}/handover`) and is refused here with 409.
      security: [{bearer: []}]
      parameters:
        - {name: receiptCode, in: path, required: true, schema: {type: string}}
      requestBody:
        required: false
        content: {application/json: {schema: {$ref: '#/components/schemas/HandOver'}}}
      responses:
        '200':
          description: Issued
          content: {application/json: {schema: {$ref: '#/components/schemas/CaseStatus'}}}
        '400': {$ref: '#/components/responses/Problem'}
        '409': {$ref: '#/components/responses/Problem'}
  /v1/bundles/{bundleId}/handover:
    post:
      summary: Hand a whole "one thing, one go" bundle out at the window in one call (clerk)
      description: |
        Only when every case of the bundle is ready: all of them are issued together, each
        recorded (when, by which clerk, to the applicant or the case's agent), or none is. A
        bundle with a case not ready is refused with 409 `bundle-not-ready`, the detail naming
        each such case (receipt code and status). Repeating the call after the hand-over returns
        the same bundle and changes nothing.
      security: [{bearer: []}]
      parameters:
        - {name: bundleId, in: path, required: true, schema: {type: string}}
      requestBody:
        required: false
        content: {application/json: {schema: {$ref: '#/components/schemas/HandOver'}}}
      responses:
        '200':
          description: Every case issued; the bundle as its applicant follows it
          content: {application/json: {schema: {$ref: '#/components/schemas/BundleStatus'}}}
        '400': {$ref: '#/components/responses/Problem'}
        '403': {$ref: '#/components/responses/Problem'}
        '404': {$ref: '#/components/responses/Problem'}
        '409': {$ref: '#/components/responses/Problem'}
  /v1/applications/{receiptCode}/green-channel:
    post:
      summary: Put a submitted case on the green channel with the centre's approval (centre admin, Art 40)
      description: |
        The approver must be active staff of the hall centre. Publishes
        `intake.application.green-channel-granted`; the coordinator lists the case's tasks first.
        The same approval again changes nothing; another approval of a case already on the green
        channel, or a refused or issued case, is refused with 409.
      security: [{bearer: []}]
      parameters:
        - {name: receiptCode, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: '#/components/schemas/GreenChannelInput'}}}
      responses:
        '200':
          description: The case with its green channel
          content: {application/json: {schema: {$ref: '#/components/schemas/CaseStatus'}}}
        '400': {$ref: '#/components/responses/Problem'}
        '403': {$ref: '#/components/responses/Problem'}
        '404': {$ref: '#/components/responses/Problem'}
        '409': {$ref: '#/components/responses/Problem'}
  /v1/applications/{receiptCode}/agent:
    post:
      summary: Assign, or replace, the centre's agent of a case the applicant entrusted to the centre (centre admin, 全程代办, Art 40)
      description: |
        The agent must be active staff of the hall centre. Replacing another agent needs a
        `reason`; the previous assignment is kept with its end. Publishes
        `intake.application.agent-assigned`. The same agent under the same entrustment again
        changes nothing.
      security: [{bearer: []}]
      parameters:
        - {name: receiptCode, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: '#/components/schemas/AgentAssignment'}}}
      responses:
        '200':
          description: The case with its agent
          content: {application/json: {schema: {$ref: '#/components/schemas/CaseStatus'}}}
        '400': {$ref: '#/components/responses/Problem'}
        '403': {$ref: '#/components/responses/Problem'}
        '404': {$ref: '#/components/responses/Problem'}
        '409': {$ref: '#/components/responses/Problem'}
  /v1/bundles/{bundleId}/agent:
    post:
      summary: Assign, or replace, the centre's agent of every case of a bundle at once (centre admin, 全程代办, Art 40)
      description: |
        For an applicant who entrusted the centre with the whole "one thing, one go" matter: the
        agent (active staff of the hall centre) is assigned to every case of the bundle, or to
        none. Each case publishes its own `intake.application.agent-assigned`; a case that already
        has another agent needs a `reason`. Cases that already have this agent under this
        entrustment stay as they are, so the same call again changes nothing. A refused bundle or
        one already handed over is refused with 409.
      security: [{bearer: []}]
      parameters:
        - {name: bundleId, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: '#/components/schemas/AgentAssignment'}}}
      responses:
        '200':
          description: The bundle, each case with its agent
          content: {application/json: {schema: {$ref: '#/components/schemas/BundleStatus'}}}
        '400': {$ref: '#/components/responses/Problem'}
        '403': {$ref: '#/components/responses/Problem'}
        '404': {$ref: '#/components/responses/Problem'}
        '409': {$ref: '#/components/responses/Problem'}
  /v1/applications/{receiptCode}/fee:
    post:
      summary: Record the fee charged; only the catalogue's standard is accepted, once (Art 16)
      security: [{bearer: []}]
      parameters:
        - {name: receiptCode, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [amountCents]
              properties:
                amountCents: {type: integer, description: In fen}
      responses:
        '204': {description: Recorded}
        '400': {$ref: '#/components/responses/Problem'}
        '404': {$ref: '#/components/responses/Problem'}
        '409': {$ref: '#/components/responses/Problem'}
  /v1/decisions:
    get:
      summary: Sealed approval decisions, published (public, Art 38); verify each with the seal service by its imprint id
      parameters:
        - {name: itemCode, in: query, required: false, schema: {type: string}}
      responses:
        '200':
          description: Decisions, newest first; a person's name is masked
          content:
            application/json:
              schema:
                type: object
                properties:
                  decisions:
                    type: array
                    items:
                      type: object
                      properties:
                        itemCode: {type: string}
                        itemName: {type: string}
                        decision: {type: string}
                        departmentId: {type: string}
                        applicant: {type: string}
                        sealedAt: {type: string, format: date-time}
                        imprintId: {type: string, format: uuid}
  /v1/applications/{receiptCode}/resubmission:
    post:
      summary: The applicant returns with the corrections (clerk); checked against the same list only
      security: [{bearer: []}]
      parameters:
        - {name: receiptCode, in: path, required: true, schema: {type: string}}
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: '#/components/schemas/Resubmission'}}}
      responses:
        '200':
          description: Accepted, or the corrections still open
          content: {application/json: {schema: {$ref: '#/components/schemas/ApplicationResponse'}}}
        '404': {$ref: '#/components/responses/Problem'}
        '409': {$ref: '#/components/responses/Problem'}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer, bearerFormat: JWT}
  responses:
    Problem:
      description: RFC 9457 problem
      content: {application/problem+json: {schema: {$ref: '#/components/schemas/Problem'}}}
  schemas:
    Problem:
      type: object
      required: [type, title, status]
      properties:
        type: {type: string, format: uri}
        title: {type: string}
        status: {type: integer}
        detail: {type: string}
        field: {type: string, description: The offending field, e.g. applicant.idNumber}
        requestId: {type: string}
    Date: {type: string, format: date, description: A hall date (Asia/Shanghai), YYYY-MM-DD}
    Material:
      type: object
      required: [id, name, form, copies, requirement, toleratedGap]
      properties:
        id: {type: string, pattern: '^[a-z0-9][a-z0-9-]{0,63}$'}
        name: {type: string}
        form: {enum: [original, copy, original-and-copy]}
        copies: {type: integer, minimum: 1}
        requirement: {enum: [required, conditional]}
        condition: {type: string}
        toleratedGap: {type: boolean}
    Fee:
      type: object
      properties:
        amountCents: {type: integer, minimum: 1, description: In fen; omitted when free}
        basis: {type: string, description: Legal basis of the fee (Art 16)}
    ItemSubmission:
      type: object
      required: [code, name, kind, leadDepartmentId, legalLimitDays, promisedLimitDays, materials, delegatedToCentre, toleratedGapAllowed, effectiveFrom, approvalReference]
      properties:
        code: {type: string, pattern: '^[A-Z0-9][A-Z0-9-]{1,31}$'}
        name: {type: string}
        kind: {enum: [immediate, committed, joint]}
        leadDepartmentId: {type: string}
        participantDepartmentIds: {type: array, items: {type: string}}
        legalLimitDays: {type: integer, minimum: 0, description: Working days}
        promisedLimitDays: {type: integer, minimum: 0, description: Working days, at most the legal limit}
        fee: {$ref: '#/components/schemas/Fee'}
        materials: {type: array, items: {$ref: '#/components/schemas/Material'}}
        formTemplate: {type: string}
        notCounted: {type: array, items: {enum: [hearing, tender, auction, inspection, testing, quarantine, appraisal, expert-review]}}
        delegatedToCentre: {type: boolean}
        toleratedGapAllowed: {type: boolean}
        effectiveFrom: {$ref: '#/components/schemas/Date'}
        approvalReference: {type: string}
    ItemVersion:
      allOf:
        - $ref: '#/components/schemas/ItemSubmission'
        - type: object
          required: [version]
          properties:
            version: {type: integer, minimum: 1}
    ItemList:
      type: object
      properties:
        items:
          type: array
          items:
            type: object
            properties:
              code: {type: string}
              name: {type: string}
              kind: {enum: [immediate, committed, joint]}
              leadDepartmentId: {type: string}
              promisedLimitDays: {type: integer}
              legalLimitDays: {type: integer}
              free: {type: boolean}
              version: {type: integer}
    DueDateAnswer:
      type: object
      properties:
        itemCode: {type: string}
        itemVersion: {type: integer}
        acceptedAt: {type: string, format: date-time}
        promisedLimitDays: {type: integer}
        dueDate: {$ref: '#/components/schemas/Date'}
        provisional: {type: boolean}
    WorkingDaysAnswer:
      type: object
      properties:
        from: {$ref: '#/components/schemas/Date'}
        to: {$ref: '#/components/schemas/Date'}
        workingDays: {type: integer}
        provisional: {type: boolean}
    DepartmentInput:
      type: object
      required: [id, name]
      properties:
        id: {type: string}
        name: {type: string}
        active: {type: boolean}
        chiefRepresentativeId: {type: string}
        centre: {type: boolean, description: 'The hall centre (政务中心), at most one: it issues refusals of items unknown to the hall under its own seal (Art 35, 37), approves green channels and provides agents (Art 40)'}
        substitute:
          type: object
          required: [staffId, noticeReference, from, to]
          properties:
            staffId: {type: string}
            noticeReference: {type: string, description: The filed written notice (Art 27)}
            from: {$ref: '#/components/schemas/Date'}
            to: {$ref: '#/components/schemas/Date'}
    WindowInput:
      type: object
      required: [id, name, kind, departmentIds]
      properties:
        id: {type: string}
        name: {type: string}
        kind: {enum: [comprehensive, department, discipline]}
        departmentIds: {type: array, items: {type: string}}
        active: {type: boolean}
    StaffInput:
      type: object
      required: [id, name, departmentId, qualified]
      properties:
        id: {type: string}
        name: {type: string}
        departmentId: {type: string}
        windowId: {type: string}
        qualified: {type: boolean, description: Meets the window qualification (Art 19)}
        active: {type: boolean}
        immediateItems: {type: array, items: {type: string}, description: Immediate items this person may decide (Art 13)}
        rotationFilingReference: {type: string, description: Filing of a window rotation with the centre (Art 20)}
    ApplicationSubmission:
      type: object
      required: [itemCode, applicant, materials, channel, idempotencyKey]
      properties:
        itemCode: {type: string}
        departmentId: {type: string}
        applicant:
          type: object
          required: [kind, name, idNumber, contact]
          properties:
            kind: {enum: [person, organisation]}
            name: {type: string}
            idNumber: {type: string, description: Resident identity number (GB 11643) or unified social credit code (GB 32100)}
            contact: {type: string}
        materials:
          type: array
          items:
            type: object
            required: [materialId, form, copies, legalForm]
            properties:
              materialId: {type: string}
              form: {enum: [original, copy, original-and-copy]}
              copies: {type: integer, minimum: 1}
              legalForm: {type: boolean}
        conditionsMet: {type: array, items: {type: string}}
        promised:
          type: array
          items:
            type: object
            required: [materialId, dueBy]
            properties:
              materialId: {type: string}
              dueBy: {$ref: '#/components/schemas/Date'}
        channel: {enum: [window, online]}
        greenChannel: {type: boolean, description: 'True needs greenChannelApproval'}
        greenChannelApproval: {$ref: '#/components/schemas/GreenChannelInput'}
        idempotencyKey: {type: string, maxLength: 128}
        competentAuthority: {type: string, description: 'Where to go, when refusing a matter the hall does not handle; the refusal notice is issued under the hall centre''s seal (a centre must be in the directory, else 409)'}
    GreenChannelInput:
      type: object
      required: [reason, reference, approvedBy]
      description: The hall centre's approval of the green channel (Art 40)
      properties:
        reason: {enum: [major-investment, special-matter], description: 'A major investment project of the county (全旗重大招商引资项目) or a matter handled specially (特事特办)'}
        reference: {type: string, description: The reference of the centre's written approval}
        approvedBy: {type: string, description: Staff id of the approver, active staff of the hall centre}
        approvedAt: {type: string, format: date-time, description: Defaults to the time it is recorded}
    AgentAssignment:
      type: object
      required: [agentId, entrustmentReference]
      properties:
        agentId: {type: string, description: Active staff of the hall centre}
        entrustmentReference: {type: string, description: The applicant's written entrustment of the centre (委托书)}
        reason: {type: string, description: Required when replacing another agent}
    HandOver:
      type: object
      properties:
        collectedBy: {enum: [applicant, agent], description: 'Default applicant; agent needs an agent assigned to the case (to every case of a bundle)'}
    Resubmission:
      type: object
      required: [materials]
      properties:
        materials: {type: array, items: {type: object}}
        promised: {type: array, items: {type: object}}
        additionalDemands: {type: array, items: {type: string}, description: Refused by the system and recorded (Art 36)}
    ApplicationResponse:
      type: object
      required: [caseId, receiptCode, outcome, itemCode]
      properties:
        caseId: {type: string, format: uuid}
        receiptCode: {type: string}
        outcome: {enum: [accepted, refused, correction-required, held], description: 'held: a bundle''s application, complete, waiting for the others to be corrected'}
        itemCode: {type: string}
        bundleId: {type: string}
        itemVersion: {type: integer}
        noticeNumber: {type: string, description: YYYY-NNNNNN, sequential per year}
        acceptedAt: {type: string, format: date-time}
        dueDate: {$ref: '#/components/schemas/Date'}
        dueDateProvisional: {type: boolean}
        promisedMaterials: {type: array, items: {type: object}}
        refusal:
          type: object
          properties:
            reasonCode: {enum: [unknown-item, not-in-force, not-competent]}
            reason: {type: string}
            competentAuthority: {type: string}
        corrections:
          type: array
          items:
            type: object
            properties:
              materialId: {type: string}
              problem: {enum: [missing, wrong-form, too-few-copies, not-in-legal-form]}
              needed: {type: string}
    CaseStatus:
      type: object
      properties:
        receiptCode: {type: string}
        itemCode: {type: string}
        status:
          enum: [accepted, refused, awaiting-correction, held, awaiting-supplement, decided, completed, ready, issued]
          description: 'completed: a bundle''s case, decided and sealed, handed out with the rest of its bundle'
        noticeNumber: {type: string}
        acceptedAt: {type: string, format: date-time}
        dueDate: {$ref: '#/components/schemas/Date'}
        dueDateProvisional: {type: boolean}
        awaiting: {type: array, items: {type: string}, description: Open corrections, promised materials, supplements asked for}
        refusalReason: {type: string}
        competentAuthority: {type: string}
        bundleId: {type: string}
        supplements:
          type: array
          items:
            type: object
            properties:
              departmentId: {type: string}
              material: {type: string}
              needed: {type: string}
              requestedAt: {type: string, format: date-time}
              suppliedAt: {type: string, format: date-time}
              broughtByAgent: {type: string, description: The centre's agent who brought it on the applicant's behalf}
        departments:
          type: array
          items:
            type: object
            properties:
              departmentId: {type: string}
              role: {enum: [lead, participant]}
              status: {enum: [not-started, in-progress, awaiting-supplement, completed]}
        completion:
          type: object
          properties:
            outcome: {enum: [approved, denied]}
            completedAt: {type: string, format: date-time, description: The last seal time (Art 31)}
            dueDate: {$ref: '#/components/schemas/Date'}
            onTime: {type: boolean}
        documents:
          type: array
          description: The case's notices and decisions and where each one's seal stands (Art 35, 37)
          items:
            type: object
            properties:
              kind: {enum: [acceptance-notice, refusal-notice, approval-decision, denial-decision]}
              departmentId: {type: string, description: 'Whose seal it carries; the hall centre for a refusal of an item unknown to the hall'}
              sealed: {type: boolean}
              imprintId: {type: string, format: uuid, description: 'Verify with the seal service: GET /v1/imprints/{imprintId}'}
              sealedAt: {type: string, format: date-time}
              sealRefusal: {type: string}
        greenChannel:
          type: object
          description: The centre's green-channel approval (Art 40), who approved it and who entered it
          properties:
            reason: {enum: [major-investment, special-matter]}
            reference: {type: string}
            approvedBy: {type: string, description: 'The centre staff member who approved it'}
            approvedAt: {type: string, format: date-time}
            recordedBy: {type: string, description: 'Who entered it: the clerk who submitted the application with it, or the centre admin who granted it afterwards'}
            recordedAt: {type: string, format: date-time}
        agent: {$ref: '#/components/schemas/Agent'}
        previousAgents: {type: array, items: {$ref: '#/components/schemas/Agent'}, description: Agents replaced before the current one}
        handover:
          type: object
          properties:
            handedOverAt: {type: string, format: date-time}
            collectedBy: {enum: [applicant, agent]}
            agentId: {type: string}
    Agent:
      type: object
      description: The hall centre's agent of the case (全程代办, Art 40)
      properties:
        agentId: {type: string}
        name: {type: string}
        entrustmentReference: {type: string}
        assignedAt: {type: string, format: date-time}
        endedAt: {type: string, format: date-time, description: When another agent replaced this one}
        reason: {type: string, description: Why this agent replaced the previous one}
    SupplementDelivery:
      type: object
      required: [materials]
      properties:
        materials: {type: array, minItems: 1, items: {type: string}, description: 'Each the material of an open supplement request'}
        broughtBy: {enum: [applicant, agent], description: 'Default applicant; agent needs an agent assigned to the case'}
    BundleSubmission:
      type: object
      required: [applicant, applications, channel, idempotencyKey]
      properties:
        applicant: {$ref: '#/components/schemas/ApplicationSubmission/properties/applicant'}
        applications:
          type: array
          minItems: 2
          maxItems: 20
          items:
            type: object
            required: [itemCode, materials]
            properties:
              itemCode: {type: string, description: 'Committed or joint items, each once'}
              departmentId: {type: string}
              materials: {$ref: '#/components/schemas/ApplicationSubmission/properties/materials'}
              conditionsMet: {type: array, items: {type: string}}
              promised: {$ref: '#/components/schemas/ApplicationSubmission/properties/promised'}
              competentAuthority: {type: string}
        channel: {enum: [window, online]}
        greenChannel: {type: boolean}
        greenChannelApproval: {$ref: '#/components/schemas/GreenChannelInput'}
        idempotencyKey: {type: string, maxLength: 128}
    BundleCorrection:
      type: object
      properties:
        position: {type: integer, description: From 0, in the order submitted}
        itemCode: {type: string}
        receiptCode: {type: string, description: The applicant returns with it}
        materialId: {type: string}
        problem: {enum: [missing, wrong-form, too-few-copies, not-in-legal-form]}
        needed: {type: string}
    BundleRefusal:
      type: object
      properties:
        position: {type: integer}
        itemCode: {type: string}
        receiptCode: {type: string}
        reasonCode: {enum: [unknown-item, not-in-force, not-competent]}
        reason: {type: string, description: Says which application and why}
        competentAuthority: {type: string}
    BundleResponse:
      type: object
      required: [bundleId, outcome, bundleSize, applications]
      properties:
        bundleId: {type: string}
        outcome: {enum: [accepted, refused, correction-required]}
        bundleSize: {type: integer}
        refusal: {$ref: '#/components/schemas/BundleRefusal'}
        corrections: {type: array, items: {$ref: '#/components/schemas/BundleCorrection'}, description: 'The one notice: every correction of every application'}
        applications:
          type: array
          items:
            type: object
            properties:
              position: {type: integer}
              itemCode: {type: string}
              outcome: {enum: [accepted, refused, correction-required, held, not-accepted]}
              application: {$ref: '#/components/schemas/ApplicationResponse'}
    BundleStatus:
      type: object
      properties:
        bundleId: {type: string}
        status: {enum: [refused, awaiting-correction, in-progress, awaiting-supplement, ready, issued]}
        bundleSize: {type: integer}
        acceptedAt: {type: string, format: date-time}
        completedAt: {type: string, format: date-time}
        handedOverAt: {type: string, format: date-time, description: When the whole bundle was handed out}
        refusal: {$ref: '#/components/schemas/BundleRefusal'}
        corrections: {type: array, items: {$ref: '#/components/schemas/BundleCorrection'}, description: Still open}
        cases: {type: array, items: {$ref: '#/components/schemas/CaseStatus'}}
"""#
}
