from django.apps import AppConfig


class ActivityConfig(AppConfig):
    name = "activity"

    def ready(self):
        from django.tasks.signals import task_finished

        from activity.recovery import work_recover_now_and_then
        from activity.samples import SampledTriggerVariables
        from changes import warnings

        # The Changes page's "new variable" warning counts the variables of recent triggers.
        warnings.trigger_variable_usage = SampledTriggerVariables()
        # Workers that finish tasks recover the tasks of workers that died.
        task_finished.connect(work_recover_now_and_then, dispatch_uid="activity-recovery")
