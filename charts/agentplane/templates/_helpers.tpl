{{/* Names: everything cluster-scoped carries the release's name, so two releases never collide. */}}
{{- define "agentplane.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "agentplane.operator.fullname" -}}
{{- printf "%s-operator" (include "agentplane.fullname" .) -}}
{{- end -}}

{{- define "agentplane.controlPlane.fullname" -}}
{{- printf "%s-control-plane" (include "agentplane.fullname" .) -}}
{{- end -}}

{{- define "agentplane.commonLabels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: agentplane
{{- end -}}

{{- define "agentplane.labels" -}}
{{ include "agentplane.commonLabels" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Selector labels of one component: (dict "context" $ "component" "operator"). */}}
{{- define "agentplane.selectorLabels" -}}
app.kubernetes.io/name: agentplane-{{ .component }}
app.kubernetes.io/instance: {{ .context.Release.Name }}
{{- end -}}

{{- define "agentplane.componentLabels" -}}
{{ include "agentplane.commonLabels" .context }}
{{ include "agentplane.selectorLabels" . }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* repository:tag, the tag defaulting to the chart's appVersion. */}}
{{- define "agentplane.image" -}}
{{- printf "%s:%s" .image.repository (default .context.Chart.AppVersion .image.tag) -}}
{{- end -}}

{{- define "agentplane.runtimeVaultAddress" -}}
{{- coalesce .Values.vault.runtimeAddress .Values.vault.address "http://vault.agentplane-system:8200" -}}
{{- end -}}

{{/* The control plane's environment that the API pods and the migration Job share. */}}
{{- define "agentplane.controlPlane.databaseEnv" -}}
{{- $db := .Values.controlPlane.database -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ required "controlPlane.database.url.secretName: name the Secret holding DATABASE_URL (kubectl create secret generic agentplane-database --from-literal=url=postgres://…)" $db.url.secretName }}
      key: {{ $db.url.key }}
{{- if $db.migrationUrl.secretName }}
- name: MIGRATION_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $db.migrationUrl.secretName }}
      key: {{ $db.migrationUrl.key }}
{{- end }}
- name: LOG_LEVEL
  value: {{ .Values.controlPlane.logLevel | quote }}
{{- end -}}
